/**
 * A histogram with one label, for what is observed on every message: each store call's latency.
 * prom-client's `labels(...).observe()` checks the labels and hashes them at every call (about
 * 0.4 us, several times a message); here each label value's counts are found once and an
 * observation is a bucket search and two additions. The registry prints it as it prints a
 * prom-client Histogram (same series, same order, same text), read at each scrape.
 * https://prometheus.io/docs/concepts/metric_types/#histogram
 */
import type { Registry } from 'prom-client';

/** One label value's counts: per bucket (not cumulative), then the sum and the count. */
interface Series {
  readonly labels: Record<string, string>;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
  /** The reset it was started after. */
  readonly generation: number;
}

export interface LatencyObserver {
  observe(value: number): void;
}

/** What the registry reads of a metric, as prom-client's histogram gives it. */
interface Printed<V> {
  name: string;
  help: string;
  type: 'histogram';
  values: V[];
  aggregator: 'sum';
}

/** One printed value, as prom-client's histogram gives them to its registry. */
interface Value {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  /** Buckets carry none (null), as prom-client's do without exemplars; the sum and the count have no field. */
  exemplar?: null;
}

export class LatencyHistogram<Label extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly upperBounds: number[];
  private readonly series = new Map<string, Series>();
  private readonly observers = new Map<string, LatencyObserver>();
  /** How many resets so far: a series of an earlier one is no longer printed. */
  private generation = 0;

  constructor(readonly options: { name: string; help: string; labelName: Label; buckets: number[]; registers: Registry[] }) {
    this.upperBounds = [...options.buckets].sort((a, b) => a - b);
    // The registry reads any object with a name, get() and reset(); its typings list only its own classes.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  get name(): string {
    return this.options.name;
  }

  get help(): string {
    return this.options.help;
  }

  /** The observer of one label value: the same one each time. Its series starts at its first observation, as prom-client's does. */
  labels(labels: Record<Label, string>): LatencyObserver {
    const value = labels[this.options.labelName];
    let observer = this.observers.get(value);
    if (!observer) {
      const bounds = this.upperBounds;
      let series: Series | undefined;
      observer = {
        observe: (observed: number) => {
          if (!Number.isFinite(observed)) return;
          // A reset forgets every series (the registry's resetMetrics): the next observation starts it again.
          if (series === undefined || series.generation !== this.generation) series = this.seriesOf(value);
          let bucket = 0;
          while (bucket < bounds.length && observed > bounds[bucket]!) bucket++;
          if (bucket < bounds.length) series.buckets[bucket]! += 1;
          series.sum += observed;
          series.count += 1;
        },
      };
      this.observers.set(value, observer);
    }
    return observer;
  }

  /** What the registry prints (`getForPromString`, the name prom-client's text format asks for). */
  getForPromString(): Promise<Printed<Value>> {
    const values: Value[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.buckets[i]!;
        values.push({ labels: { le }, sharedLabels: series.labels, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_bucket`, exemplar: null },
        { labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: series.labels, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The same values with each one's labels in one object, as prom-client's `get()` answers (JSON). */
  async get(): Promise<Printed<Omit<Value, 'sharedLabels'>>> {
    const printed = await this.getForPromString();
    return { ...printed, values: printed.values.map(({ sharedLabels, labels, ...value }) => ({ ...value, labels: { ...labels, ...sharedLabels } })) };
  }

  reset(): void {
    this.series.clear();
    this.generation += 1;
  }

  private seriesOf(value: string): Series {
    let series = this.series.get(value);
    if (!series) {
      series = {
        labels: { [this.options.labelName]: value },
        buckets: new Float64Array(this.upperBounds.length),
        sum: 0,
        count: 0,
        generation: this.generation,
      };
      this.series.set(value, series);
    }
    return series;
  }
}
