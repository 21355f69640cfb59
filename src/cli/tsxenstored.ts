#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1
// One malloc arena (glibc), not one per thread: V8's helper threads each got an arena of their own,
// and memory freed in them stayed with the process. 200,000 children of one node, two daemons
// each, alternated: 90-96 bytes of anonymous memory per node at rest instead of 102-104, 149 at once
// instead of 160-165; no change in CPU per write or transaction (8 clients, three rounds each).
// Its cost: live update of a 200,000-node tree, downtime median 54 ms against 47 with an arena per
// thread (ten updates each, alternated); none seen with 1,000 nodes, with or without 1,000
// connections (four each). The background daemon, and a successor that live update starts,
// inherit the setting.
// The young generation is capped at 1 MiB: a daemon's garbage is short-lived and small, and the
// default lets it grow to tens of MiB that stay resident; with millions of nodes that was half the
// daemon's memory. Measured: no change in CPU per request, 402 -> 272 bytes of RSS per node.
// V8's --optimize-for-size is not used any more. It once saved memory (168-204 bytes per node
// instead of 219-252 with 200,000 children), but with the store as it is now it saves none: 86-91
// bytes per node at once with it, 87-89 without; 78-84 at rest, 74-78 without; 86 and 87 for a
// 1,000,000-node tree (three and one populations each, alternated). Its cost was real: it leaves
// a small heap so little room that a few hundred kilobytes of garbage set off a full collection
// that stops the process for 7-16 ms, without incremental marking at that size. In live updates
// with 1,000 nodes such a collection of the old process set the downtime in 10 of 22; without the
// flag none ran during an update (ten updates each way, alternated: median downtime 16.8 ms with
// it, 9.5 without). CPU per request showed no difference: a first set of three runs each way
// (8 clients, alternated) had transactions at 78-91 us with it and 66-76 without, but a second
// set of five had 72-87 and 77-96; reads and writes matched in both.
// tsxenstored live update: migration stream version 2
// (The line above declares this entry point a successor to a daemon that live-updates into it, which
// then need not run `--help` to find out: src/liveupdate/target.ts. It changes with SUCCESSOR_MARKER.)
import { realpathSync } from 'node:fs';
import { type Options, parseOptions, USAGE, UsageError } from './options.ts';
import { unsupportedNode } from './runtime.ts';

/** The command line: `--help` answered here; anything else loads the daemon (serve.ts). */
export async function main(argv: string[]): Promise<void> {
	const tooOld = unsupportedNode(process.versions.node);
	if (tooOld !== undefined) {
		process.stderr.write(`tsxenstored: ${tooOld}\n`);
		process.exit(1);
	}
	let options: Options;
	try {
		options = parseOptions(argv);
	} catch (e) {
		if (!(e instanceof UsageError)) throw e;
		process.stderr.write(`tsxenstored: ${e.message}\n${USAGE}`);
		process.exit(2);
	}
	if (options.help) {
		process.stdout.write(USAGE);
		return;
	}
	const { serve } = await import('./serve.ts');
	await serve(argv, options);
}

// Run when executed as the program, not when imported by `npm start`'s launcher.
if (process.argv[1] !== undefined && import.meta.filename === realpathSync(process.argv[1])) {
	await main(process.argv.slice(2));
}
