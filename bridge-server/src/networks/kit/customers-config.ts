/**
 * `customers` of a network entry: customers writing from their own accounts to the teams'
 * addresses on that network (docs/customers.md). The same shape and checks on every network that
 * has such addresses; what a user part may not be is the network's own.
 */
import { z } from 'zod';

export const customersConfigSchema = z.strictObject({
  /** A team's user (local) part on the network, by team id (`{ "support": "help" }`); the team id lowercased when left out. */
  teamAddresses: z.record(z.string(), z.string().regex(/^[a-z0-9._-]{1,64}$/i, 'must be 1-64 letters, digits, ., _ or -')).optional(),
  /** The site of a customer's conversation with a team that serves several sites. */
  site: z.string().min(1).optional(),
});

export type CustomersConfig = z.infer<typeof customersConfigSchema>;

/**
 * Adds an issue under `customers.teamAddresses.<team>` for each user part that is already another
 * team's (compared without regard to case), and for each that `reserved` says the network uses.
 */
export function checkTeamAddresses(customers: CustomersConfig | undefined, context: z.RefinementCtx, reserved?: (user: string) => string | null): void {
  const teamsByUser = new Map<string, string>();
  for (const [team, user] of Object.entries(customers?.teamAddresses ?? {})) {
    const path = ['customers', 'teamAddresses', team];
    const taken = teamsByUser.get(user.toLowerCase());
    if (taken !== undefined) context.addIssue({ code: 'custom', path, message: `is already the address of team "${taken}"` });
    const why = reserved?.(user);
    if (why) context.addIssue({ code: 'custom', path, message: why });
    teamsByUser.set(user.toLowerCase(), team);
  }
}
