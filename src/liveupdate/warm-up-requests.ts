import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame, FrameReader } from '../protocol/frame.ts';
import { MessageType } from '../protocol/message-type.ts';
import { Daemon } from '../server/daemon.ts';
import { createLogger } from '../server/log.ts';
import { listenPrivately } from '../server/private-socket.ts';

/**
 * A successor's first requests after it takes over would run code V8 has not even compiled yet
 * (it compiles a function on its first call): about 3 ms more for the first request of a fresh
 * process, and a live update's downtime ends only with the first reply. So before it says it is
 * ready, the successor serves requests of the common kinds, a number of times, on a throwaway
 * daemon of its own over a socket of its own: the code is then compiled and has its feedback,
 * and the real daemon, which shares it, is left untouched.
 */
const PASSES = 30;
/** Times the throwaway connection is held and released, as the handover does. */
const HOLDS = 3;
/** The request that ends a pass: its reply means every request before it was answered. */
export const LAST_OF_PASS = 0xffff;

/** One pass; `txId` is the id the daemon gives its transaction (a connection numbers them 1, 2, ...). */
export function warmUpPass(txId: number): Buffer {
	const f = (type: number, payload: string, tx = 0) => encodeFrame(type, 1, tx, payload);
	return Buffer.concat([
		f(MessageType.WATCH, '/warm-up\0token\0'),
		f(MessageType.WRITE, '/warm-up/node\0value'),
		f(MessageType.READ, '/warm-up/node\0'),
		f(MessageType.DIRECTORY, '/warm-up\0'),
		f(MessageType.GET_PERMS, '/warm-up/node\0'),
		f(MessageType.READ, '/warm-up/missing\0'),
		f(MessageType.TRANSACTION_START, '\0'),
		f(MessageType.READ, '/warm-up/node\0', txId),
		f(MessageType.WRITE, '/warm-up/node\0other', txId),
		f(MessageType.TRANSACTION_END, 'F\0', txId),
		f(MessageType.UNWATCH, '/warm-up\0token\0'),
		f(MessageType.RM, '/warm-up\0'),
		encodeFrame(MessageType.READ, LAST_OF_PASS, 0, '/\0'),
	]);
}

/** Serve PASSES passes on a throwaway daemon, over a socket made in `dir` for the purpose. */
export async function warmUpRequests(dir: string): Promise<void> {
	const daemon = new Daemon({
		socketPath: '',
		runDir: dir,
		rootDir: dir,
		originalArgs: [],
		keepOrphans: false,
		log: createLogger({ write: () => true }, false),
	});
	const path = join(dir, `warm-up.${process.pid}.socket`);
	rmSync(path, { force: true });
	const server = createServer((socket) => daemon.accept(socket));
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		listenPrivately(server, path, resolve);
	});
	const client = connect(path);
	try {
		const reader = new FrameReader();
		for (let i = 1; i <= PASSES; i++) await answered(client, reader, warmUpPass(i));
		// The handover holds connections with their sockets paused and releases them: code that
		// runs only then met it cold, and V8 threw what it had optimized for serving back to the
		// interpreter right when the first requests came (seen with --trace-deopt).
		for (const conn of daemon.connections.values()) {
			for (let i = 0; i < HOLDS; i++) {
				conn.hold(true);
				conn.release();
			}
		}
		await answered(client, reader, warmUpPass(PASSES + 1));
	} finally {
		client.destroy();
		server.close();
		rmSync(path, { force: true });
	}
}

/** A pass takes well under a millisecond; one not answered in this long never will be. */
const PASS_TIMEOUT_MS = 5000;

/** Send one pass and wait for the reply to its last request. */
function answered(client: Socket, reader: FrameReader, requests: Buffer): Promise<void> {
	return new Promise((resolve, reject) => {
		const done = (error?: Error) => {
			clearTimeout(timer);
			client.off('data', onData);
			client.off('error', done);
			if (error === undefined) resolve();
			else reject(error);
		};
		const timer = setTimeout(
			() => done(new Error(`a pass got no answer in ${PASS_TIMEOUT_MS} ms`)),
			PASS_TIMEOUT_MS,
		);
		const onData = (chunk: Buffer) => {
			reader.push(chunk);
			for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
				if (frame.reqId === LAST_OF_PASS && frame.type === MessageType.READ) {
					reader.detach();
					done();
					return;
				}
			}
		};
		client.on('data', onData);
		client.once('error', done);
		client.write(requests);
	});
}
