/**
 * One readable line per record. Nodes read as `xenstore-ls -f -p` prints them: the path, the
 * value in double quotes with unprintable bytes escaped as its sanitiser does (\t \n \r \\, octal
 * below 8, \xNN otherwise), and the perms in parentheses.
 */

import type { StreamHeader } from './codec/header.ts';
import { NO_TARGET, UNLIMITED_DEPTH } from './constants.ts';
import type { SourceFormat } from './reader.ts';
import type { MigrationRecord, NodePerm, QuotaValue } from './records.ts';

/** Bytes as xenstore-ls shows a value: printable ASCII as is, the rest escaped. */
export function escapeBytes(bytes: Buffer | string): string {
	const s = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
	let out = '';
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c >= 0x20 && c <= 0x7e && c !== 0x5c) out += s[i];
		else if (c === 0x5c) out += '\\\\';
		else if (c === 0x09) out += '\\t';
		else if (c === 0x0a) out += '\\n';
		else if (c === 0x0d) out += '\\r';
		else if (c < 8) out += `\\${c.toString(8).padStart(3, '0')}`;
		else out += `\\x${c.toString(16).padStart(2, '0')}`;
	}
	return out;
}

export function formatPerm(p: NodePerm): string {
	return `${p.access}${p.domid}${p.stale ? ':stale' : ''}`;
}

function quoted(s: Buffer | string): string {
	return `"${escapeBytes(s)}"`;
}

function quotas(list: readonly QuotaValue[]): string {
	return list.length === 0 ? '(none)' : list.map((q) => `${escapeBytes(q.name)}=${q.value}`).join(' ');
}

const ACCESS_NAMES = ['deleted', 'read', 'written', 'read+written'];

export function formatRecord(r: MigrationRecord): string {
	switch (r.type) {
		case 'END':
			return 'END';
		case 'GLOBAL_DATA':
			return `GLOBAL_DATA socket-fd=${r.socketFd} evtchn-fd=${r.evtchnFd}${r.domexcPort === undefined ? '' : ` domexc-port=${r.domexcPort}`}`;
		case 'CONNECTION_DATA': {
			const spec =
				r.spec.kind === 'socket'
					? `socket fd=${r.spec.fd}`
					: `ring domid=${r.spec.domid} target=${r.spec.target === NO_TARGET ? 'none' : r.spec.target} evtchn=${r.spec.evtchn}` +
						(r.spec.mfn === undefined ? '' : ` mfn=${r.spec.mfn}`) +
						(r.spec.remotePort === undefined ? '' : ` remote-port=${r.spec.remotePort}`);
			const id = r.uniqueId === undefined ? '' : ` unique-id=0x${r.uniqueId.toString(16)}`;
			return `CONNECTION_DATA conn=${r.connId} ${spec} in=${r.pendingIn.length} out=${r.pendingOut.length} partial=${r.partialResponseLength}${id}`;
		}
		case 'WATCH_DATA':
			return `WATCH_DATA conn=${r.connId} ${quoted(r.path)} token=${quoted(r.token)}`;
		case 'WATCH_DATA_EXTENDED':
			return `WATCH_DATA_EXTENDED conn=${r.connId} ${quoted(r.path)} token=${quoted(r.token)} depth=${r.depth === UNLIMITED_DEPTH ? 'unlimited' : r.depth}`;
		case 'TRANSACTION_DATA':
			return `TRANSACTION_DATA conn=${r.connId} tx=${r.txId}`;
		case 'NODE_DATA': {
			const node = `${escapeBytes(r.path)} = ${quoted(r.value)}  (${r.perms.map(formatPerm).join(',')})`;
			if (r.connId === 0) return node;
			if (r.access === 0) return `[conn=${r.connId} tx=${r.txId} deleted] ${escapeBytes(r.path)}`;
			return `[conn=${r.connId} tx=${r.txId} ${ACCESS_NAMES[r.access]}] ${node}`;
		}
		case 'GLOBAL_QUOTA_DATA':
			return `GLOBAL_QUOTA_DATA per-domain: ${quotas(r.perDomain)}; global: ${quotas(r.globalOnly)}`;
		case 'DOMAIN_DATA':
			return `DOMAIN_DATA domid=${r.domid} features=0x${r.features.toString(16)} quotas: ${quotas(r.quotas)}`;
	}
}

export function formatHeader(format: SourceFormat, header: StreamHeader): string {
	const stream = `version ${header.version}, ${header.endian}-endian`;
	if (format === 'stream') return `# xenstore migration stream, ${stream}`;
	if (format === 'json') return `# JSON form of a xenstore migration stream, ${stream}`;
	return `# oxenstored text dump (read as a stream of ${stream})`;
}
