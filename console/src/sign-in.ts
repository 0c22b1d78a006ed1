/**
 * Signing in, by whichever ways the bridge offers (GET /agent/api/session `methods`): a username
 * and password, the website's own sign-in (its `identityUrl` vouches for the agent), or, on the
 * demo only and marked so, one click per demo agent.
 */
import { html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';
import { PendingAction } from './pending-action.js';
import type { ConsoleSession, Credentials, SessionApi } from './session-api.js';

/** Where the demo vouches for its agents (the bridge names them: `demoAgents`). */
export const DEMO_IDENTITY = '/demo/agent-identity?user=';

@customElement('sb-sign-in')
export class SignIn extends ConsoleElement {
  @property({ attribute: false }) api!: SessionApi;
  @property({ attribute: false }) session!: ConsoleSession;
  private readonly pending = new PendingAction(this);

  private async attempt(work: () => Promise<Credentials>): Promise<void> {
    await this.pending.run(
      async () => this.announce('signed-in', await work()),
      (message) => this.locale.t.signInFailed(message),
    );
  }

  private password(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const field = (name: string) => form.querySelector<HTMLInputElement>(`input[name="${name}"]`)?.value ?? '';
    void this.attempt(() => this.api.login(field('username'), field('password'), this.session.csrfToken));
  }

  protected override render() {
    const { t } = this.locale;
    if (!this.session) return nothing;
    const { methods, identityUrl } = this.session;
    return html`<main class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">${t.signInTitle}</h1>
      ${
        methods.includes('password')
          ? html`<form class="password" @submit=${this.password}>
              <label for="username">${t.username}</label>
              <input id="username" name="username" autocomplete="username" required />
              <label for="password">${t.password}</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required />
              <p><button type="submit" class="primary" ?disabled=${this.pending.busy}>${t.signIn}</button></p>
            </form>`
          : nothing
      }
      ${
        methods.includes('identity') && identityUrl
          ? html`<p>
              <button type="button" class="identity" ?disabled=${this.pending.busy} @click=${() => this.attempt(() => this.api.identity(identityUrl))}>
                ${t.signInWithSite}
              </button>
            </p>`
          : nothing
      }
      ${
        methods.includes('demo')
          ? html`<section class="demo" aria-labelledby="demo-title">
              <p id="demo-title"><strong>${t.demoOnly}</strong></p>
              ${(this.session.demoAgents ?? []).map(
                (agent) =>
                  html`<button
                    type="button"
                    class="demo-agent"
                    data-agent=${agent}
                    ?disabled=${this.pending.busy}
                    @click=${() => this.attempt(() => this.api.identity(`${DEMO_IDENTITY}${encodeURIComponent(agent)}`))}
                  >
                    ${t.demoSignInAs(agent)}
                  </button> `,
              )}
            </section>`
          : nothing
      }
      ${methods.length === 0 ? html`<p>${t.noSignInMethod}</p>` : nothing}
      <p class="error" role="alert">${this.pending.error}</p>
    </main>`;
  }
}
