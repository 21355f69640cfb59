import assert from 'node:assert/strict';
import { it } from 'node:test';

it("the package exports the client as 'tsxenstored/client' (from dist/, after the build)", async () => {
	// Through a variable, so that typechecking does not need dist/ to exist.
	const specifier = 'tsxenstored/client';
	const client = await import(specifier);
	assert.equal(typeof client.connect, 'function');
	assert.equal(typeof client.XenstoreClient, 'function');
	assert.equal(new client.XenstoreError('ENOENT').code, 'ENOENT');
});
