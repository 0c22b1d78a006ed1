/**
 * The web network's parties, as the other networks see them (networks/network.ts `HostedParties`):
 * `web:v_7f3a` has the id `v_7f3a`; ids start with their role (`v_` visitor, `u_` signed-in user,
 * `a_` agent, `i_` integration), which is how an id is told from another network's escaped address.
 * A signed-in user's id is the site's own and may hold `:` (`web:u_auth:42`): `idOf` gives only ids
 * without one (safe as a local part or a nick), `addressOf` reads both.
 */
import type { Address } from '@switchboard/protocol';
import type { HostedParties } from '../network.js';

const SCHEME = 'web:';
const HOSTED_ID = /^[a-z]_/i;

export const webHostedParties: HostedParties = {
  isHosted: (address) => address.startsWith(SCHEME),
  isVisitor: (address) => address.startsWith(`${SCHEME}v_`),
  idOf: (address) => (address.startsWith(SCHEME) && !address.slice(SCHEME.length).includes(':') ? address.slice(SCHEME.length) : null),
  addressOf: (id) => (HOSTED_ID.test(id) ? (`${SCHEME}${id}` as Address) : null),
};
