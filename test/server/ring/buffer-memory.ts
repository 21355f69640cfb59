import { readUint32, writeUint32 } from '../../../src/protocol/header.ts';
import { PAGE_SIZE } from '../../../src/server/ring/layout.ts';
import type { RingMemory } from '../../../src/server/ring/memory.ts';

/**
 * A ring page held in a Buffer of this process, shared with the simulated guest of the tests.
 * Both run on one thread, so nothing is reordered and the barrier needs no instruction; instead
 * the page can log every access, so a test can check where the transport puts its barriers.
 */
export class BufferRingMemory implements RingMemory {
	readonly page = Buffer.alloc(PAGE_SIZE);
	/** Accesses in order, when logging is on: `r32 2048`, `w32 2060`, `read 0+16`, `write 1024+19`, `barrier`. */
	log: string[] | undefined;
	closed = false;

	readUint32(offset: number): number {
		this.assertOpen();
		this.log?.push(`r32 ${offset}`);
		return readUint32(this.page, offset);
	}

	writeUint32(offset: number, value: number): void {
		this.assertOpen();
		this.log?.push(`w32 ${offset}`);
		writeUint32(this.page, value, offset);
	}

	read(offset: number, length: number, target: Buffer, targetStart: number): void {
		this.assertOpen();
		this.assertWithin('read', offset, length, 0, 1024);
		this.log?.push(`read ${offset}+${length}`);
		this.page.copy(target, targetStart, offset, offset + length);
	}

	write(offset: number, source: Buffer): void {
		this.assertOpen();
		this.assertWithin('write', offset, source.length, 1024, 2048);
		this.log?.push(`write ${offset}+${source.length}`);
		source.copy(this.page, offset);
	}

	barrier(): void {
		this.log?.push('barrier');
	}

	close(): void {
		this.assertOpen();
		this.closed = true;
	}

	private assertOpen(): void {
		if (this.closed) throw new Error('ring page accessed after it was unmapped');
	}

	/** The server copies data only out of the request queue and only into the response queue. */
	private assertWithin(what: string, offset: number, length: number, start: number, end: number): void {
		if (offset < start || length < 0 || offset + length > end) {
			throw new RangeError(`${what} of ${offset}+${length} outside ${start}..${end}`);
		}
	}
}
