import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import globals from 'globals';

// Workflow code must stay deterministic: no Node built-ins in workflows/ or in the pure policy helpers it imports.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
// The pure policy helpers the workflow bundle imports.
const workflowPolicyFiles = [
  'policy/duration.ts',
  'policy/oncall.ts',
  'policy/render.ts',
  'policy/runbook-plan.ts',
  'policy/runbook-params.ts',
  'policy/approvals.ts',
];

const builtinsInWorkflows = nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' }));
// Asked after a local activity that resolved in a later workflow task, a patch fails to replay.
const patchesOnlyInOnePlace = {
  name: '@temporalio/workflow',
  importNames: ['patched', 'deprecatePatch'],
  message: 'Patches are asked in workflows/patches.ts (askPatches), first thing in a run, before any activity.',
};
// Two local activities in flight can resolve in another order on replay (sdk-typescript#1744).
const localActivitiesOneAtATime = {
  name: '@temporalio/workflow',
  importNames: ['proxyLocalActivities'],
  message: 'Local activities are reached through oneLocalAtATime (workflows/incident/activity-proxies.ts).',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-empty-object-type': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // Workflow code and everything it imports must be deterministic.
    files: ['workflows/**/*.ts', 'contract/**/*.ts', ...workflowPolicyFiles],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...builtinsInWorkflows, patchesOnlyInOnePlace, localActivitiesOneAtATime],
          patterns: [
            // Activities run outside the sandbox: workflows name them as types only (proxyActivities).
            {
              group: ['**/activities', '**/activities/*', '**/runbook-host/*', '**/adapters/**', '**/store/*'],
              allowTypeImports: true,
              message: 'Workflows import activities as types only.',
            },
            {
              group: ['**/client/*', '**/server/*', '**/workers/*', '**/scripts/*', '**/config/*', '**/security/*', '**/chat/**'],
              message: 'Workflow code imports the contract and policy only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The one place patched() and deprecatePatch() are called.
    files: ['workflows/patches.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [...builtinsInWorkflows, localActivitiesOneAtATime] }] },
  },
  {
    // The one place local activities are proxied (and handed out one at a time).
    files: ['workflows/incident/activity-proxies.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [...builtinsInWorkflows, patchesOnlyInOnePlace] }] },
  },
  {
    // The contract is what every layer imports; it imports none of them.
    files: ['contract/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'The contract is imported by workflows: no Node built-ins.' })),
          patterns: [
            {
              group: [
                '../workflows',
                '../workflows/*',
                '../activities',
                '../activities/*',
                '../store/*',
                '../adapters/**',
                '../chat/**',
                '../runbook-host/*',
                '../client/*',
                '../server/*',
                '../workers/*',
              ],
              message: 'The contract imports nothing of the layers that import it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Activities and the client reach workflows only through the contract (no cycles between layers).
    files: [
      'activities/**/*.ts',
      'store/**/*.ts',
      'adapters/**/*.ts',
      'chat/**/*.ts',
      'runbook-host/**/*.ts',
      'security/**/*.ts',
      'server/**/*.ts',
      'client/**/*.ts',
      'policy/**/*.ts',
      'config/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/workflows', '**/workflows/*'], message: 'Import the contract (contract/), not workflow code.' }] },
      ],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs', globals: globals.node } },
);
