import { createWriteStream, type WriteStream } from 'node:fs';
import { messageTypeName } from '../protocol/message-type.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * The trace file of `-T` and CONTROL `log`/`logfile`: one line per request and per reply, in the
 * layout of C xenstored's trace (`IN|OUT <conn> <date> <time> <TYPE> (<payload, NULs as blanks>)`),
 * so existing tooling that reads those traces carries over.
 */
export class Tracer {
	private file: string | undefined;
	private stream: WriteStream | undefined;

	constructor(file: string | undefined) {
		this.file = file;
		if (file !== undefined) this.open();
	}

	get enabled(): boolean {
		return this.stream !== undefined;
	}

	get path(): string | undefined {
		return this.file;
	}

	private open(): void {
		if (this.file === undefined) return;
		this.stream = createWriteStream(this.file, { flags: 'a' });
		this.stream.on('error', () => {
			this.stream = undefined;
		});
	}

	/** `log on`: (re)open the trace file; `log off`: close it. */
	setEnabled(on: boolean): void {
		this.stream?.end();
		this.stream = undefined;
		if (on) this.open();
	}

	/** `logfile <file>`: trace to another file from now on. */
	setFile(file: string): void {
		this.file = file;
		this.setEnabled(true);
	}

	io(direction: 'IN' | 'OUT', connId: number, type: number, payload: Buffer): void {
		if (this.stream === undefined) return;
		const d = new Date();
		const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
		const text = payload.toString('latin1').replaceAll('\0', ' ');
		this.stream.write(
			`${direction} 0x${connId.toString(16)} ${stamp} ${messageTypeName(type) ?? '**UNKNOWN**'} (${text})\n`,
		);
	}

	line(text: string): void {
		this.stream?.write(`${text}\n`);
	}

	close(): void {
		this.stream?.end();
		this.stream = undefined;
	}
}
