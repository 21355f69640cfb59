/**
 * A scripted stand-in for a xenstore daemon: a Unix socket server that cuts what it receives into
 * frames, records them, and lets the test's script answer each one as it likes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, type Frame, FrameReader } from '../../src/protocol/frame.ts';
import { MessageType } from '../../src/protocol/message-type.ts';

export interface Peer {
	/** The request being answered. */
	frame: Frame;
	/** Its payload as text (latin1), for easy assertions. */
	text: string;
	/** Reply with the request's type, req_id and tx_id. */
	reply(payload: Buffer | string): void;
	error(name: string): void;
	event(path: string, token: string): void;
	/** Any frame at all. */
	send(type: number, reqId: number, txId: number, payload: Buffer | string): void;
	/** Drop the connection. */
	hangUp(): void;
}

export type Script = (peer: Peer) => void;

export interface FakeServer {
	path: string;
	/** Every request received, in order, with a copy of its payload. */
	received: Frame[];
	close(): Promise<void>;
}

export async function startFakeServer(script: Script): Promise<FakeServer> {
	const dir = mkdtempSync(join(tmpdir(), 'tsxs-fake-'));
	const path = join(dir, 'socket');
	const received: Frame[] = [];
	const sockets = new Set<Socket>();
	const server = createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => undefined);
		const reader = new FrameReader();
		socket.on('data', (chunk: Buffer) => {
			reader.push(chunk);
			for (let f = reader.next(); f; f = reader.next()) {
				const frame = { ...f, payload: Buffer.from(f.payload) };
				received.push(frame);
				const send = (type: number, reqId: number, txId: number, payload: Buffer | string) => {
					if (!socket.destroyed) socket.write(encodeFrame(type, reqId, txId, payload));
				};
				script({
					frame,
					text: frame.payload.toString('latin1'),
					reply: (payload) => send(frame.type, frame.reqId, frame.txId, payload),
					error: (name) => send(MessageType.ERROR, frame.reqId, frame.txId, `${name}\0`),
					event: (p, token) => send(MessageType.WATCH_EVENT, 0, 0, `${p}\0${token}\0`),
					send,
					hangUp: () => socket.destroy(),
				});
			}
		});
	});
	await new Promise<void>((resolve) => server.listen(path, resolve));
	return {
		path,
		received,
		async close() {
			for (const s of sockets) s.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** A script answering every request `OK\0`. */
export const answerOk: Script = (peer) => peer.reply('OK\0');
