import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { declaresSuccessor, identifyTarget, SUCCESSOR_MARKER } from '../../src/liveupdate/target.ts';
import { TSXENSTORED, tempDir } from '../harness/daemons.ts';
import { writeExecutable } from './helpers.ts';

const ENTRY_SOURCE = fileURLToPath(new URL('../../src/cli/tsxenstored.ts', import.meta.url));

describe('identifying the new binary of a live update', () => {
	const dir = tempDir('xs-target-');
	const sh = (name: string, body: string) => writeExecutable(join(dir, name), `#!/bin/sh\n${body}\n`);

	it("finds the declaration in tsxenstored's entry point, source and build", () => {
		assert.equal(declaresSuccessor(ENTRY_SOURCE), true);
		// The build keeps comments: the file a predecessor is pointed at carries the line too.
		assert.ok(existsSync(TSXENSTORED), `${TSXENSTORED} is built by npm test before the tests run`);
		assert.equal(declaresSuccessor(TSXENSTORED), true);
	});

	it('takes a declared successor as tsxenstored without running it', async () => {
		// Its --help fails: had it been run, identifying it would have been refused.
		const declared = sh('declared', `# ${SUCCESSOR_MARKER}\nexit 1`);
		assert.equal(await identifyTarget(declared), 'tsxenstored');
	});

	it('asks --help when the marker is not in the first 4 KiB', async () => {
		const late = sh('late', `${'#'.repeat(4096)}\n# ${SUCCESSOR_MARKER}\nexit 1`);
		assert.equal(declaresSuccessor(late), false);
		await assert.rejects(identifyTarget(late), /--help failed/);
	});

	it('knows an undeclared binary by what its --help prints', async () => {
		// Quoted in two pieces, so that the file does not declare what its --help prints.
		const [head, tail] = [SUCCESSOR_MARKER.slice(0, 8), SUCCESSOR_MARKER.slice(8)];
		const quiet = sh('quiet', `[ "$1" = --help ] && echo '${head}''${tail}'`);
		assert.equal(declaresSuccessor(quiet), false);
		assert.equal(await identifyTarget(quiet), 'tsxenstored');
		const foreign = sh('foreign', `echo "Usage: xenstored <options>"`);
		assert.equal(await identifyTarget(foreign), 'foreign');
	});

	it('leaves a file it cannot read to the probe, which refuses it', async () => {
		const missing = join(dir, 'missing');
		assert.equal(declaresSuccessor(missing), false);
		await assert.rejects(identifyTarget(missing), /missing --help failed/);
	});
});
