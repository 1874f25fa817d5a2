import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'packages/*/dist/', 'web/dist/', 'viewer/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  // The viewer's front end runs in a browser; TypeScript already checks its names (no-undef
  // would only repeat it without knowing the DOM).
  { files: ['viewer/src/**/*.{ts,tsx}'], rules: { 'no-undef': 'off' } },
);
