// Lint config: the recommended rules of ESLint and typescript-eslint, and the layer order of src/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The folders of src/, bottom first (README, "Architecture"): a folder imports only from the folders before it, so
// imports run one way and a newcomer finds each thing below what uses it. Shared utilities sit at the bottom,
// the CLI on top. (Cycles inside a folder, and the CLI loading without the native core: test/architecture.test.ts.)
const LAYERS = [
  'util',
  'midi',
  'tokenizer',
  'data',
  'model',
  'run',
  'train',
  'analysis',
  'embed',
  'generate',
  'report',
  'server',
  'cli',
];
const layerRules = LAYERS.map((layer, i) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: LAYERS.slice(i + 1).map((above) => ({
          group: [`../${above}/*`],
          message: `src/${layer}/ sits below src/${above}/ in the layer order (eslint.config.js LAYERS): move what both need down, or the caller up.`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'runs/', 'models/', 'data/', 'python/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
  {
    // The explorer page runs in the browser, with d3 and Tone.js loaded as scripts before it.
    files: ['web/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        Blob: 'readonly',
        ResizeObserver: 'readonly',
        requestAnimationFrame: 'readonly',
        cancelAnimationFrame: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        d3: 'readonly',
        Tone: 'readonly',
      },
    },
  },
);
