/** The Azure provider as the registry sees it before loading it (src/providers.ts). */
import type { ProviderEntry } from '../../src/core/provider.js';
import { recognizes } from './load.js';

export const azureEntry: ProviderEntry = {
  name: 'azure',
  recognizes,
  terraformPrefix: 'azurerm_',
  load: async () => (await import('./index.js')).azure,
};
