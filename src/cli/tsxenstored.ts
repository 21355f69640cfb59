#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 --optimize-for-size
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
// --optimize-for-size makes V8 grow its heap less eagerly and collect sooner: 200,000 children of
// one node took 168-204 bytes of RSS per node as the last was written instead of 219-252, and
// 149-156 at rest instead of 165-170; no change for a 1,000,000-node tree, and none measurable in
// CPU per request (8 clients, alternated rounds).
// tsxenstored live update: migration stream version 2
// (The line above declares this entry point a successor to a daemon that live-updates into it, which
// then need not run `--help` to find out: src/liveupdate/target.ts. It changes with SUCCESSOR_MARKER.)
import { realpathSync } from 'node:fs';
import { type Options, parseOptions, USAGE, UsageError } from './options.ts';

/** The command line: `--help` answered here; anything else loads the daemon (serve.ts). */
export async function main(argv: string[]): Promise<void> {
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
