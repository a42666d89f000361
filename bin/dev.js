#!/usr/bin/env node
// Development entry: same as run.js, but reports that it runs from a dev checkout.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
