/** The backends the scan tests run on: both when the addon loads. */
import { nativeStatus } from '../../lib/backend/native/index.js';

export const backends = nativeStatus().available ? (['js', 'native'] as const) : (['js'] as const);
