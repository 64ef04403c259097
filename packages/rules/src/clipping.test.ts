import { COOConnection, CSRConnection, DenseConnection, type Connection } from '@plasticity/sparse';
import { expectClose } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { MSTDPET_DEFAULTS, MSTDP_DEFAULTS, mstdp, mstdpet, type MstdpParams } from './mstdp.js';
import { STDP_DEFAULTS, stdp, type StdpParams } from './stdp.js';
import { runRule } from './testing/run.js';

type Coo = { nPre: number; nPost: number; pre: Int32Array; post: Int32Array; weights: Float32Array };

/** Every cell of an nPre × nPost matrix as a synapse (so Dense, CSR and COO hold the same synapses). */
function full(nPre: number, nPost: number, w: number[]): Coo {
  const pre: number[] = [], post: number[] = [];
  for (let i = 0; i < nPre; i++) for (let j = 0; j < nPost; j++) { pre.push(i); post.push(j); }
  return { nPre, nPost, pre: Int32Array.from(pre), post: Int32Array.from(post), weights: Float32Array.from(w) };
}

const FORMATS: [string, (c: Coo) => Connection][] = [
  ['Dense', (c) => DenseConnection.fromCoo(c)],
  ['CSR', (c) => CSRConnection.fromCoo(c)],
  ['COO', (c) => COOConnection.fromCoo(c)],
];

/** Row-major dense weights of a connection. */
async function weights(conn: Connection): Promise<number[]> {
  const t = conn.toDenseTensor();
  const d = Array.from((await t.data()) as Float32Array);
  t.dispose();
  return d;
}

describe('core/mstdp clips once, on the total update (BindsNET), on every format', () => {
  // One synapse; a pre and a post spike in step 0 give e(0) = a+ − a− = 0.2; reward 1 in step 1 adds ν·0.2 = 0.02.
  const p: MstdpParams = { ...MSTDP_DEFAULTS, nu: 0.1, aPlus: 1, aMinus: 0.8, wMin: 0.25, wMax: 0.5 };
  const trains = { steps: 2, pre: [1, 0], post: [1, 0], modulator: [0, 1] };
  for (const [format, make] of FORMATS) {
    it(`${format}: w0 = 0.3 → 0.32 and w0 = 0.45 → 0.47 (clipping each pathway gave 0.35 / 0.42)`, async () => {
      for (const [w0, expected] of [[0.3, 0.32], [0.45, 0.47], [0.49, 0.5]] as const) {
        const conn = make(full(1, 1, [w0]));
        await runRule(mstdp, p, conn, trains, { dtMs: 1 });
        expectClose(await weights(conn), [expected], { atol: 1e-6 });
        conn.dispose();
      }
    });

    it(`${format}: a synapse reached by a pre and a post part is touched even when they cancel (clipped, as the fused kernel)`, async () => {
      // a+ = a− = 1: e(0) = 1 − 1 = 0, yet both parts reach the synapse, so its weight is clipped into the bounds.
      const conn = make(full(1, 1, [0.7]));
      await runRule(mstdp, { ...p, aMinus: 1 }, conn, trains, { dtMs: 1 });
      expectClose(await weights(conn), [0.5], { atol: 1e-7 });
      conn.dispose();
    });

    it(`${format}: batch 2, two identical samples under 'mean' give the same 0.32`, async () => {
      const conn = make(full(1, 1, [0.3]));
      const batched = { steps: 2, pre: [1, 1, 0, 0], post: [1, 1, 0, 0], modulator: [0, 1] };
      await runRule(mstdp, { ...p, batchReduce: 'mean' }, conn, batched, { dtMs: 1, batch: 2 });
      expectClose(await weights(conn), [0.32], { atol: 1e-6 });
      conn.dispose();
    });
  }
});

describe('plastic updates clip only the synapses they touch (generic path)', () => {
  // 3 × 3, bounds [0, 1]. Pre 0 fires at steps 0 and 4, post 0 at step 2: row 0 and column 0 are
  // touched; the block of rows 1–2 × columns 1–2 is silent and holds weights outside the bounds.
  const W0 = [
    0.4, 0.5, 0.6,
    0.3, -1, 5,
    0.7, 0.5, 2,
  ];
  const SILENT = [4, 5, 7, 8];
  const steps = 6;
  const pre = new Array<number>(steps * 3).fill(0);
  const post = new Array<number>(steps * 3).fill(0);
  pre[0 * 3 + 0] = 1;
  pre[4 * 3 + 0] = 1;
  post[2 * 3 + 0] = 1;
  const modulator = [0, 0, 0, 1, -0.5, 0.5];

  const stdpParams = (weightDependence: StdpParams['weightDependence']): StdpParams => ({
    ...STDP_DEFAULTS, aPlus: 0.1, aMinus: 0.12, wMin: 0, wMax: 1, weightDependence, muPlus: 1, muMinus: 1,
  });
  const tau = STDP_DEFAULTS.tauPlusMs;
  // W[0,0] under STDP: LTP at step 2 from x_pre = e^(−2/τ+), LTD at step 4 from x_post = e^(−2/τ−) (τ+ = τ− = 20 ms).
  // Under MSTDP (ν 0.5, a± 1): e(2) = +g rewarded by 1 at step 3, e(4) = −g rewarded by 0.5 at step 5.
  const g = Math.exp(-2 / tau);
  const afterLtp = { 'multiplicative': 0.4 + 0.1 * (1 - 0.4) * g, 'soft-bound': 0.4 + 0.1 * (1 - 0.4) * g };
  const CASES: [string, () => Promise<(conn: Connection) => Promise<void>>, number | undefined][] = [
    ...(['multiplicative', 'soft-bound'] as const).map((dep): [string, () => Promise<(conn: Connection) => Promise<void>>, number] => [
      `stdp ${dep}`,
      async () => (conn) => runRule(stdp, stdpParams(dep), conn, { steps, pre, post }),
      afterLtp[dep] - 0.12 * afterLtp[dep] * g,
    ]),
    ['mstdpet', async () => (conn) => runRule(mstdpet, { ...MSTDPET_DEFAULTS, nu: 0.5, wMin: 0, wMax: 1 }, conn, { steps, pre, post, modulator }), undefined],
    ['mstdp', async () => (conn) => runRule(mstdp, { ...MSTDP_DEFAULTS, nu: 0.5, wMin: 0, wMax: 1 }, conn, { steps, pre, post, modulator }), 0.4 + 0.5 * (1 * g - 0.5 * g)],
  ];

  for (const [label, runner, w00] of CASES) {
    for (const [format, make] of FORMATS) {
      it(`${label} on ${format}: silent synapses keep out-of-bounds weights, touched ones move as from in-bounds weights`, async () => {
        const run = await runner();
        const conn = make(full(3, 3, W0));
        await run(conn);
        const w = await weights(conn);
        // The same activity from the clipped weights: every touched synapse must end the same.
        const clipped = make(full(3, 3, W0.map((v) => Math.min(1, Math.max(0, v)))));
        await run(clipped);
        const wc = await weights(clipped);
        for (const k of SILENT) expect(w[k], `silent synapse ${k}`).toBe(Math.fround(W0[k]!));
        for (let k = 0; k < 9; k++) if (!SILENT.includes(k)) expect(w[k], `touched synapse ${k}`).toBeCloseTo(wc[k]!, 6);
        expect(Math.abs(w[0]! - W0[0]!), 'W[0,0] moved').toBeGreaterThan(1e-3);
        if (w00 !== undefined) expect(w[0]).toBeCloseTo(w00, 6);
        conn.dispose();
        clipped.dispose();
      });
    }
  }

  it("the issue's example: W0 = [−1, 0.5, 5, 0.5], bounds [0, 1], no synapse touched, stays as it is", async () => {
    const silent = { steps: 4, pre: [0, 0, 0, 0, 0, 0, 0, 0], post: [0, 0, 0, 1, 0, 0, 0, 0], modulator: [1, 1, 1, 1] };
    for (const [, make] of FORMATS) {
      for (const run of [
        (c: Connection) => runRule(stdp, stdpParams('multiplicative'), c, silent),
        (c: Connection) => runRule(stdp, stdpParams('soft-bound'), c, silent),
        (c: Connection) => runRule(mstdpet, { ...MSTDPET_DEFAULTS, wMin: 0, wMax: 1 }, c, silent),
        (c: Connection) => runRule(mstdp, { ...MSTDP_DEFAULTS, wMin: 0, wMax: 1 }, c, silent),
      ]) {
        // Post 1 fires with no presynaptic trace: column 1 (weights 0.5) is touched by nothing that moves it.
        const conn = make(full(2, 2, [-1, 0.5, 5, 0.5]));
        await run(conn);
        expect(await weights(conn)).toEqual([-1, 0.5, 5, 0.5]);
        conn.dispose();
      }
    }
  });
});
