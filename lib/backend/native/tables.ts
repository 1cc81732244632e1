/**
 * The addon must implement exactly the opcodes and scalar ops that lib/ops declares: a stale
 * build/Release (or a prebuild of another version) would otherwise fail only when a program
 * happens to use what it lacks, or run a kernel whose meaning has changed.
 */
import type { NativeAddon } from '../../../binding/index.js';
import { registeredOpcodes } from '../../ops/kernel.js';
import { scalarOpNames } from '../../ops/scalar.js';
import '../../ops/all.js';

const differences = (what: string, ours: string[], theirs: string[]): string[] => {
  const missing = ours.filter((x) => !theirs.includes(x));
  const extra = theirs.filter((x) => !ours.includes(x));
  const out: string[] = [];
  if (missing.length) out.push(`it lacks the ${what} ${missing.join(', ')}`);
  if (extra.length) out.push(`it has ${what} this version does not know (${extra.join(', ')})`);
  return out;
};

/** A description of how the addon's tables differ from TypeScript's, or null when they agree. */
export function tableMismatch(addon: NativeAddon): string | null {
  if (typeof addon.tables !== 'function') return 'it is older than this version (it cannot list its kernels)';
  const t = addon.tables();
  const diffs = [...differences('opcodes', registeredOpcodes(), t.opcodes), ...differences('scalar ops', scalarOpNames(), t.scalarOps)];
  return diffs.length ? diffs.join('; ') : null;
}
