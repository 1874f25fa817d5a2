import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'packages/*/dist/', 'web/dist/', 'viewer/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked in the tsconfig.json that includes it (the root one, web/, viewer/,
        // packages/sdk/); the two build files outside every project get a default one.
        projectService: { allowDefaultProject: ['scripts/precompress.d.mts', 'viewer/vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Passing on a reason received (a caught error, `signal.reason`) is not inventing one.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Preact event handlers may be async: the DOM ignores what they return, and the console's
      // admin() answers a failure instead of rejecting (promises passed elsewhere stay checked).
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  // Plain JavaScript (this file, the build scripts) has no types to check.
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read JSON answers (`res.json()`, `JSON.parse`) as `any` on purpose and let the
      // assertions check their shape; typing every body would only repeat the expected value.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  // The viewer's front end runs in a browser; TypeScript already checks its names (no-undef
  // would only repeat it without knowing the DOM).
  { files: ['viewer/src/**/*.{ts,tsx}'], rules: { 'no-undef': 'off' } },
);
