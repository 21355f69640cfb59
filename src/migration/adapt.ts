/**
 * Fitting records to the version they will be written in, and saying what that loses. Version 1
 * has no watch depth and no domain features; the binary format has no place for the extras of
 * oxenstored's text dump (a ring's mfn and remote port, the domexc port).
 */
import type { StreamVersion } from './constants.ts';
import { UNLIMITED_DEPTH } from './constants.ts';
import type { MigrationRecord } from './records.ts';

export interface Adapted {
	readonly record: MigrationRecord;
	/** State the target cannot hold and a successor could need: refused unless lossy. */
	readonly losses: readonly string[];
	/** Fields the target has no place for and does not need (oxenstored dump extras). */
	readonly notices: readonly string[];
}

/** Fit one record to `version`. A watch of unlimited depth becomes WATCH_DATA without loss. */
export function adaptRecord(record: MigrationRecord, version: StreamVersion): Adapted {
	const losses: string[] = [];
	const notices: string[] = [];
	let out: MigrationRecord = record;
	if (record.type === 'WATCH_DATA_EXTENDED' && version < 2) {
		if (record.depth !== UNLIMITED_DEPTH) {
			losses.push(
				`the depth ${record.depth} of watch ${JSON.stringify(record.path)} (version 1 has no watch depth)`,
			);
		}
		out = { type: 'WATCH_DATA', connId: record.connId, path: record.path, token: record.token };
	} else if (record.type === 'DOMAIN_DATA' && version < 2 && record.features !== 0) {
		losses.push(
			`the features 0x${record.features.toString(16)} of domain ${record.domid} (version 1 has none)`,
		);
		out = { ...record, features: 0 };
	} else if (record.type === 'GLOBAL_DATA' && record.domexcPort !== undefined) {
		notices.push(`oxenstored's domexc port ${record.domexcPort}`);
		const { domexcPort: _, ...rest } = record;
		out = rest;
	} else if (record.type === 'CONNECTION_DATA' && record.spec.kind === 'ring') {
		const { mfn, remotePort, ...spec } = record.spec;
		if (mfn !== undefined || remotePort !== undefined) {
			notices.push(`the mfn and remote port of domain ${spec.domid}'s ring`);
			out = { ...record, spec };
		}
	}
	return { record: out, losses, notices };
}
