// Empties dist/ before a build, so a source file that was removed leaves no stale output.
'use strict';
const fs = require('fs');
const path = require('path');

fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
