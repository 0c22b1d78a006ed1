// The globals of the browser tier's test framework (mocha's BDD interface, as @web/test-runner
// runs it): the part the tests under */test/browser use.
type MochaBody = () => void | Promise<unknown>;

declare function describe(title: string, suite: () => void): void;
declare function it(title: string, test: MochaBody): void;
declare function before(hook: MochaBody): void;
declare function after(hook: MochaBody): void;
declare function beforeEach(hook: MochaBody): void;
declare function afterEach(hook: MochaBody): void;
