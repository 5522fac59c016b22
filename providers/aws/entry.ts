/** The AWS provider as the registry sees it before loading it (src/providers.ts). */
import type { ProviderEntry } from '../../src/core/provider.js';
import { recognizesAws } from './load.js';

export const awsEntry: ProviderEntry = {
  name: 'aws',
  recognizes: recognizesAws,
  terraformPrefix: 'aws_',
  load: async () => (await import('./index.js')).aws,
};
