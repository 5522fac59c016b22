/** The providers this build serves: the one place that wires provider packages to the core. */
import { aws } from '../providers/aws/index.js';
import { azure } from '../providers/azure/index.js';
import { gcp } from '../providers/gcp/index.js';
import type { Provider } from './core/decision.js';
import type { ProviderModule } from './core/provider.js';

export const providers: Partial<Record<Provider, ProviderModule>> = { aws, gcp, azure };
