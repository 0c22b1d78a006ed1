// Lint rules that catch real defects (type-aware: floating and misused promises, exhaustive
// switches, unsafe `any`); layout is the formatter's job (.prettierrc.json).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**'] },
  {
    files: ['{protocol,sdk,widget,bridge-server}/src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A `default:` is a deliberate choice for the values left.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Implementations of promise-returning interfaces are async without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // lit calls event listeners bound in templates (`@click=${this.onLauncher}`) with the element as `this`.
    files: ['widget/src/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
);
