// Checks what `tsc` wrote to dist/ is what the developer tools' "构建 npm" takes as it is:
// CommonJS, ES2015 syntax at most (no async/await, optional chaining or nullish coalescing,
// no ES module syntax), and no console output anywhere.
'use strict';
const fs = require('fs');
const path = require('path');

const dist = path.join(__dirname, '..', 'dist');
const pkg = require('../package.json');
const problems = [];

const forbidden = [
  [/\basync\s/, 'async functions (ES2017)'],
  [/\bawait\b/, 'await (ES2017)'],
  [/\?\./, 'optional chaining ?. (ES2020)'],
  [/\?\?/, 'nullish coalescing ?? (ES2020)'],
  [/\*\*/, 'exponentiation ** (ES2016)'],
  [/^\s*(import|export)\s/m, 'ES module syntax'],
  [/\bconsole\./, 'console output'],
];

const files = fs.readdirSync(dist).filter((f) => f.endsWith('.js'));
for (const file of files) {
  // Comments may say anything; the code may not.
  const code = fs
    .readFileSync(path.join(dist, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
  for (const [re, what] of forbidden) {
    if (re.test(code)) problems.push(`dist/${file}: ${what}`);
  }
}
for (const field of ['main', 'types']) {
  if (!fs.existsSync(path.join(__dirname, '..', pkg[field]))) problems.push(`package.json ${field} (${pkg[field]}) was not built`);
}
if (Object.keys(pkg.dependencies || {}).length) problems.push('package.json has runtime dependencies');

if (problems.length) {
  console.error('dist/ is not what the developer tools accept:\n  ' + problems.join('\n  '));
  process.exit(1);
}
console.log(`dist/: ${files.length} CommonJS files, ES2015 syntax, no runtime dependencies`);
