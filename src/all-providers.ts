/** Every provider, loaded: for the server, the library and tests, which serve all three clouds at once. */
import type { Provider } from './core/decision.js';
import type { ProviderModule } from './core/provider.js';
import { loadProviders } from './providers.js';

export const providers = Object.fromEntries((await loadProviders()).map((m) => [m.name, m])) as Record<Provider, ProviderModule>;
