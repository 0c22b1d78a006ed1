/**
 * Reports (report:get): a period and a grouping (team, agent, network), a table of conversations,
 * first response and resolution times (medians) and satisfaction, and the same rows as CSV.
 */
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ConsoleElement } from './console-element.js';
import type { DeskApi, ReportBy, ReportRow } from './desk-api.js';

const BY: readonly ReportBy[] = ['team', 'agent', 'network'];
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

@customElement('sb-reports')
export class ReportsView extends ConsoleElement {
  @property({ attribute: false }) desk!: DeskApi;
  /** Where the CSV of a period comes from: `(from, to, by) => URL`. */
  @property({ attribute: false }) csvUrl: (from: string, to: string, by: ReportBy) => string = () => '';
  /** The agent token of the console's connection: the CSV is fetched with it, so agents signed in by the site (no cookie) get it too. */
  @property({ attribute: false }) token = '';
  @state() private from = isoDay(new Date(Date.now() - 6 * 86_400_000));
  @state() private to = isoDay(new Date());
  @state() private by: ReportBy = 'team';
  @state() private rows: ReportRow[] | undefined;
  @state() private error = '';

  /** The last seven days, by team, as soon as the pane opens: no empty page to start from. */
  protected override firstUpdated(): void {
    void this.show();
  }

  private async show(event?: Event): Promise<void> {
    event?.preventDefault();
    this.error = '';
    try {
      this.rows = await this.desk.report(this.from, this.to, this.by);
    } catch (error) {
      this.rows = undefined;
      this.error = this.locale.t.loadFailed((error as Error).message);
    }
  }

  /** Fetches the CSV with the agent's token and saves it under the bridge's file name. */
  private async download(event: Event): Promise<void> {
    event.preventDefault();
    this.error = '';
    try {
      const response = await fetch(this.csvUrl(this.from, this.to, this.by), {
        credentials: 'same-origin',
        headers: this.token ? { Authorization: `Bearer ${this.token}` } : {},
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
        throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
      }
      const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'report.csv';
      const url = URL.createObjectURL(await response.blob());
      const link = Object.assign(document.createElement('a'), { href: url, download: name });
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      this.error = this.locale.t.loadFailed((error as Error).message);
    }
  }

  private duration(seconds: number, count: number): string {
    return count === 0 ? '–' : this.locale.t.duration(Math.round(seconds));
  }

  protected override render() {
    const { t } = this.locale;
    const columns = t.reportColumns;
    return html`<h2>${t.reports}</h2>
      <form class="report-form" @submit=${this.show}>
        <label
          >${t.from} <input type="date" name="from" .value=${this.from} @change=${(e: Event) => (this.from = (e.target as HTMLInputElement).value)}
        /></label>
        <label>${t.to} <input type="date" name="to" .value=${this.to} @change=${(e: Event) => (this.to = (e.target as HTMLInputElement).value)} /></label>
        <label
          >${t.by}
          <select name="by" @change=${(e: Event) => (this.by = (e.target as HTMLSelectElement).value as ReportBy)}>
            ${BY.map((by) => html`<option value=${by} ?selected=${by === this.by}>${t.reportBy(by)}</option>`)}
          </select></label
        >
        <button type="submit" class="primary">${t.showReport}</button>
        <a class="csv" href=${this.csvUrl(this.from, this.to, this.by)} download @click=${this.download}>${t.downloadCsv}</a>
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.rows
          ? this.rows.length === 0
            ? html`<p class="muted">${t.noRows}</p>`
            : html`<table>
                <caption class="visually-hidden">
                  ${t.reports}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">${t.reportBy(this.by)}</th>
                    <th scope="col">${columns.conversations}</th>
                    <th scope="col">${columns.firstResponse}</th>
                    <th scope="col">${columns.resolution}</th>
                    <th scope="col">${columns.csat}</th>
                  </tr>
                </thead>
                <tbody>
                  ${this.rows.map(
                    (row) =>
                      html`<tr>
                        <th scope="row">${row.key}</th>
                        <td>${row.conversations}</td>
                        <td>${this.duration(row.firstResponse.medianSeconds, row.firstResponse.count)}</td>
                        <td>${this.duration(row.resolution.medianSeconds, row.resolution.count)}</td>
                        <td>${row.csat.count === 0 ? '–' : `${row.csat.average.toFixed(1)} (${Math.round(row.csat.satisfied * 100)}%)`}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
          : nothing
      }`;
  }
}
