/** The Google Cloud provider as the registry sees it before loading it (src/providers.ts). */
import type { ProviderEntry } from '../../src/core/provider.js';
import { recognizesGcp } from './load.js';

export const gcpEntry: ProviderEntry = {
  name: 'gcp',
  recognizes: recognizesGcp,
  terraformPrefix: 'google_',
  load: async () => (await import('./index.js')).gcp,
};
