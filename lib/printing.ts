/**
 * printing.debugprint: a graph as indented text; for a compiled function, its rewritten graph and
 * plan, with each loop's body (the instructions of one step) under the loop.
 * @module
 */
import { Apply, Constant, SharedVariable, Variable } from './graph/variable.js';
import type { CompiledFunction } from './compile/function.js';
import { formatShape } from './ndarray/shape.js';
import type { Attrs, Instruction, Plan, Program } from './compile/program.js';
import { programFromAttrs } from './compile/program_json.js';

/** What an instruction does, briefly: an elementwise kernel's scalar ops, a gemm's alpha and beta. */
function describeInstruction(ins: Instruction): string {
  if (ins.opcode === 'elemwise') return `elemwise{${(ins.attrs.steps as { op: string }[]).map((st) => st.op).join(',')}}`;
  if (ins.opcode === 'gemm') return `gemm{alpha=${ins.attrs.alpha},beta=${ins.attrs.beta}${ins.attrs.transA ? ',transA' : ''}${ins.attrs.transB ? ',transB' : ''}}`;
  if (ins.opcode === 'loop') return `loop '${ins.attrs.name}'${ins.attrs.reverse ? ' (reverse)' : ''}`;
  return ins.opcode;
}

/** The instructions with their planned output shapes; a loop's body (one step) indented below it. */
function printInstructions(p: Program, plan: Plan, pad: string, lines: string[]): void {
  p.instructions.forEach((ins, k) => {
    const shapes = ins.outputs.map((b) => formatShape(plan.shapes[b])).join(', ');
    const view = plan.skip[k] || plan.decisions[k]?.view === true;
    lines.push(`${pad}#${k} ${describeInstruction(ins)}${view ? ' (view)' : ''} -> ${shapes}`);
    const body = ins.opcode === 'loop' ? (plan.decisions[k]?.plan as unknown as Plan | undefined) : undefined;
    if (body) printInstructions(programFromAttrs(ins.attrs.body as Attrs), body, `${pad}    `, lines);
  });
}

function describeLeaf(v: Variable): string {
  if (v instanceof SharedVariable) return `${v.name ?? 'shared'} [shared ${v.type.describe()}]`;
  if (v instanceof Constant) return `${v.toString()} [${v.type.describe()}]`;
  return `${v.name ?? 'input'} [${v.type.describe()}]`;
}

/** The graph, then the inner graph of each op that has one (Theano prints a scan's step so). */
function printGraph(outputs: readonly Variable[], lines: string[]): void {
  const inner: Apply[] = [];
  printOne(outputs, lines, inner);
  for (let k = 0; k < inner.length; k++) {
    lines.push('', `Inner graph of ${inner[k].op.label()}:`);
    printOne(inner[k].op.innerGraph()!, lines, inner);
  }
}

function printOne(outputs: readonly Variable[], lines: string[], inner: Apply[]): void {
  const ids = new Map<Apply, string>();
  let next = 0;
  const visit = (v: Variable, depth: number) => {
    const pad = '  '.repeat(depth);
    const node = v.owner;
    if (!node) {
      lines.push(`${pad}${depth ? '|' : ''}${describeLeaf(v)}`);
      return;
    }
    const seen = ids.get(node);
    const out = node.outputs.length > 1 ? `.${v.index}` : '';
    if (seen) {
      lines.push(`${pad}${depth ? '|' : ''}${node.op.label()}${out} [id ${seen}] ''`);
      return;
    }
    const id = String.fromCharCode(65 + (next % 26)) + (next >= 26 ? Math.floor(next / 26) : '');
    next++;
    ids.set(node, id);
    if (node.op.innerGraph() && !inner.some((n) => n.op === node.op)) inner.push(node);
    lines.push(`${pad}${depth ? '|' : ''}${node.op.label()}${out} [id ${id}] ${v.type.describe()}${v.name ? ` '${v.name}'` : ''}`);
    node.inputs.forEach((i) => visit(i, depth + 1));
  };
  outputs.forEach((o) => visit(o, 0));
}

/**
 * The graph of variables, or of a compiled function (after its rewrites, with its memory plan), as indented text, like Theano's debugprint.
 * @example console.log(printing.debugprint(train));
 */
export function debugprint(target: Variable | readonly Variable[] | CompiledFunction<unknown>): string {
  const lines: string[] = [];
  if (typeof target === 'function') {
    const f = target as CompiledFunction<unknown>;
    const p = f.program;
    const nOut = p.outputs.length;
    lines.push(`function '${f.name}' (backend ${f.backend}): ${p.instructions.length} instructions, ${nOut} output(s), ${p.updates.length} update(s)`);
    printGraph(f.fgraph.outputs, lines);
    const plan = f.lastPlan;
    if (plan) {
      lines.push(`plan for the last call: temporaries ${plan.tempBytes} bytes`);
      printInstructions(p, plan, '  ', lines);
    }
  } else {
    printGraph(Array.isArray(target) ? target : [target as Variable], lines);
  }
  return lines.join('\n');
}
