// Shared lint rules. The restricted calls are the project's own rules (DESIGN.md §2):
// no synchronous GPU readback in library code and no code evaluation anywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', 'bench/results/**', 'bench/.peers/**', '**/build/**', 'demo-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-new-func': 'error',
      'no-eval': 'error',
      'no-implied-eval': 'error',
    },
  },
  {
    // Node scripts (benchmarks, CI, build helpers).
    files: ['**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', performance: 'readonly', URL: 'readonly',
        setTimeout: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', WebAssembly: 'readonly',
      },
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test-d.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { property: 'dataSync', message: 'Synchronous readback blocks WebGPU; use await t.data() or a kernel.' },
        { property: 'arraySync', message: 'Synchronous readback blocks WebGPU; use await t.array() or a kernel.' }],
    },
  },
);
