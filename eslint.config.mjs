// Lint rules that catch real defects (type-aware: floating and misused promises, exhaustive
// switches, unsafe `any`); layout is the formatter's job (.prettierrc.json).
import tseslint from 'typescript-eslint';

const defects = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  // A `default:` is a deliberate choice for the values left.
  '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
  '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
};

export default tseslint.config(
  { ignores: ['**/dist/**', 'console/lib/**', '**/node_modules/**', '**/coverage/**', '**/.tmp/**'] },
  {
    files: ['{protocol,sdk,widget,console,bridge-server}/src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...defects,
      // Implementations of promise-returning interfaces are async without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // lit calls event listeners bound in templates (`@click=${this.onLauncher}`) with the element as `this`.
    files: ['{widget,console}/src/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  // Tests, with their own program (tsconfig.test.json: every package's test/ folder, DOM and Node).
  // A floating promise in a test is an assertion that may never run.
  {
    files: ['{protocol,sdk,widget,console,bridge-server,demo}/test/**/*.ts', 'web-test-runner.d.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      ...defects,
      // Fakes are async without awaiting: what they throw must reach the caller as a rejection.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            // node:test's describe() and it() return promises the runner itself awaits.
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'suite', 'test'] },
            // chai's equal() is synchronous; @open-wc/semantic-dom-diff types it as a promise for its DOM snapshots.
            { from: 'package', package: '@open-wc/semantic-dom-diff', name: 'Equal' },
          ],
        },
      ],
    },
  },
  // chai's property assertions (`expect(x).to.exist`) are expressions that assert.
  {
    files: ['{sdk,widget,console}/test/browser/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
