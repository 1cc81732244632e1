/**
 * The addon's opcode and scalar-op tables against TypeScript's: a stale or mismatched build is
 * refused (and the js backend used) with a message that names the difference.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../../binding/index.js';
import type { NativeAddon } from '../../../binding/index.js';
import { nativeStatus } from '../../../lib/backend/native/index.js';
import { tableMismatch } from '../../../lib/backend/native/tables.js';
import { registeredOpcodes } from '../../../lib/ops/kernel.js';
import { scalarOpNames } from '../../../lib/ops/scalar.js';

describe('addon tables', () => {
  it('the built addon implements exactly the opcodes and scalar ops of lib/ops', () => {
    const { addon } = loadAddon();
    if (!addon) return;
    expect(tableMismatch(addon)).toBeNull();
    expect(nativeStatus().available).toBe(true);
    const t = addon.tables!();
    expect(t.opcodes.slice().sort()).toEqual(registeredOpcodes());
    expect(t.scalarOps.slice().sort()).toEqual(scalarOpNames());
  });

  it('every op family that registers kernels is loaded by lib/ops/all.ts', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../../lib/ops/', import.meta.url);
    const all = readFileSync(new URL('all.ts', dir), 'utf8');
    const families = readdirSync(dir).filter((f) => f.endsWith('.ts') && readFileSync(new URL(f, dir), 'utf8').includes('registerKernel({'));
    for (const f of families) expect(all, f).toContain(`'./${f.replace(/\.ts$/, '.js')}'`);
  });

  it('names what a stale or foreign build lacks or adds', () => {
    const fake = (opcodes: string[], scalarOps: string[]) => ({ tables: () => ({ opcodes, scalarOps }) }) as unknown as NativeAddon;
    const ops = registeredOpcodes();
    const scalars = scalarOpNames();
    expect(tableMismatch(fake(ops.filter((o) => o !== 'index'), scalars))).toBe('it lacks the opcodes index');
    expect(tableMismatch(fake([...ops, 'warp'], scalars.filter((s) => s !== 'tanh')))).toBe('it has opcodes this version does not know (warp); it lacks the scalar ops tanh');
    expect(tableMismatch({} as NativeAddon)).toMatch(/older than this version/);
  });
});
