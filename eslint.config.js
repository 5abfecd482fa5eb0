// Lint config: the recommended rules of ESLint and typescript-eslint, nothing exotic.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'runs/', 'models/', 'data/', 'python/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The explorer page runs in the browser, with d3 and Tone.js loaded as scripts before it.
    files: ['web/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly', document: 'readonly', fetch: 'readonly', Blob: 'readonly', ResizeObserver: 'readonly', requestAnimationFrame: 'readonly',
        cancelAnimationFrame: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', d3: 'readonly', Tone: 'readonly',
      },
    },
  },
);
