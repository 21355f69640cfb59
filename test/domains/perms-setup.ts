/**
 * The nodes of the permission matrix, laid out by dom0: for each area of a test, each caller and
 * each row, `<base>/node` (value `v`) with a child `kid` (value `k`), both with the row's perms;
 * the watch area adds `<base>/gone` with the same perms and `<base>/grant` with dom0's default.
 * Rows about stale entries are written before domain 5 is released and introduced again.
 */
import assert from 'node:assert/strict';
import type { Emulation } from './emulation.ts';
import { CALLERS, permsFor, REUSED, ROWS, type Row, TARGET_OF } from './perms-table.ts';
import { MessageType, strings } from './raw.ts';

export type Area = 'ops' | 'tx' | 'watch' | 'tools';

export const base = (area: Area, caller: number, row: Row): string => `/${area}/${caller}/${row.name}`;

async function build(emu: Emulation, areas: Area[], rows: Row[]): Promise<void> {
	const { dom0 } = emu;
	for (const area of areas) {
		for (const caller of CALLERS) {
			await Promise.all(
				rows.map(async (row) => {
					const b = base(area, caller, row);
					const perms = permsFor(row, caller);
					const nodes = [`${b}/node`, `${b}/node/kid`];
					if (area === 'watch') nodes.push(`${b}/gone`);
					for (const n of nodes)
						assert.equal((await dom0.write(n, n.endsWith('kid') ? 'k' : 'v')).error, undefined);
					for (const n of nodes) assert.equal((await dom0.setPerms(n, perms)).error, undefined);
					if (area === 'watch') assert.equal((await dom0.write(`${b}/grant`, '')).error, undefined);
				}),
			);
		}
	}
}

/** Introduce the callers, set their targets, and lay out the matrix for `areas`. */
export async function setUpMatrix(emu: Emulation, areas: Area[]): Promise<void> {
	for (const d of CALLERS) await emu.introduce(d);
	for (const [domid, target] of Object.entries(TARGET_OF)) {
		await emu.dom0.ok(MessageType.SET_TARGET, strings(domid, String(target)));
	}
	await build(
		emu,
		areas,
		ROWS.filter((r) => r.beforeRelease),
	);
	await emu.release(REUSED);
	await emu.introduce(REUSED);
	await build(
		emu,
		areas,
		ROWS.filter((r) => !r.beforeRelease),
	);
}
