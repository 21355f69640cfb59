/** Counts and sizes of the records of a stream, by record type. */
import type { StreamItem } from './reader.ts';

export interface TypeStats {
	count: number;
	/** Bytes in the input: record header, body and padding (for a text dump: its lines). */
	bytes: number;
	smallest: number;
	largest: number;
}

export interface StreamStats {
	headerBytes: number;
	byType: Map<string, TypeStats>;
	records: number;
	recordBytes: number;
	/** Committed and transaction node values, in bytes. */
	valueBytes: number;
	largestValue: number;
	/** Pending data of all connections, in and out. */
	pendingBytes: number;
}

export function emptyStats(): StreamStats {
	return {
		headerBytes: 0,
		byType: new Map(),
		records: 0,
		recordBytes: 0,
		valueBytes: 0,
		largestValue: 0,
		pendingBytes: 0,
	};
}

export function addToStats(stats: StreamStats, item: StreamItem): void {
	if (item.kind === 'header') {
		stats.headerBytes = item.size;
		return;
	}
	const { record, size } = item;
	let t = stats.byType.get(record.type);
	if (!t) {
		t = { count: 0, bytes: 0, smallest: Number.POSITIVE_INFINITY, largest: 0 };
		stats.byType.set(record.type, t);
	}
	t.count++;
	t.bytes += size;
	t.smallest = Math.min(t.smallest, size);
	t.largest = Math.max(t.largest, size);
	stats.records++;
	stats.recordBytes += size;
	if (record.type === 'NODE_DATA') {
		stats.valueBytes += record.value.length;
		stats.largestValue = Math.max(stats.largestValue, record.value.length);
	} else if (record.type === 'CONNECTION_DATA') {
		stats.pendingBytes += record.pendingIn.length + record.pendingOut.length;
	}
}

export function formatStats(stats: StreamStats): string[] {
	const rows = [['record type', 'count', 'bytes', 'smallest', 'largest', 'average']];
	for (const [type, t] of stats.byType) {
		rows.push([
			type,
			`${t.count}`,
			`${t.bytes}`,
			`${t.smallest}`,
			`${t.largest}`,
			(t.bytes / t.count).toFixed(1),
		]);
	}
	rows.push(['all records', `${stats.records}`, `${stats.recordBytes}`, '', '', '']);
	const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
	const lines = rows.map((r) =>
		r
			.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
			.join('  ')
			.trimEnd(),
	);
	lines.push(
		`header: ${stats.headerBytes} bytes; total: ${stats.headerBytes + stats.recordBytes} bytes`,
		`node values: ${stats.valueBytes} bytes, largest ${stats.largestValue}; pending connection data: ${stats.pendingBytes} bytes`,
	);
	return lines;
}
