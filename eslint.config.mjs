// ESLint: typescript-eslint's type-aware recommended rules on every TypeScript file. The ones this
// pack leans on are no-floating-promises and no-misused-promises: a rejection nobody handles takes
// the whole Node-RED runtime down. Formatting is Prettier's (npm run lint runs both).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'resources/', 'node_modules/', '.node-red-data/'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Node-RED nodes are constructor functions: `const node = this` is how their closures (input,
      // close, timers) reach the node, as in Node-RED's own nodes.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `import x = require()` is TypeScript's typed import of an `export =` module, which is what a
      // Node-RED node file is; bare require() stays forbidden.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // node-red-node-test-helper and Node-RED's runtime API are untyped: every node, message and
      // event a test gets from them is `any`, and the should assertion right after is the check.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Tests and the test server put values into failure messages and wire text whose type the
      // assertion or the Arrow schema already fixed; an "[object Object]" there misleads nobody.
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    // Plain CommonJS scripts that run without a build: require() is how they load modules.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
);
