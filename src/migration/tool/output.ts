/** Writing text to stdout (or a file) without piling up memory when the reader is slower. */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export class TextOut {
	private readonly sink: Writable;
	private buffered: string[] = [];
	private size = 0;

	constructor(sink: Writable) {
		this.sink = sink;
	}

	async line(text: string): Promise<void> {
		await this.write(`${text}\n`);
	}

	async write(text: string): Promise<void> {
		this.buffered.push(text);
		this.size += text.length;
		if (this.size >= 64 * 1024) await this.flush();
	}

	async flush(): Promise<void> {
		if (this.buffered.length === 0) return;
		const chunk = this.buffered.join('');
		this.buffered = [];
		this.size = 0;
		if (!this.sink.write(chunk)) await once(this.sink, 'drain');
	}
}
