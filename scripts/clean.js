// npm run clean: removes everything npm start wrote (flows, the test server's data, the spool,
// journals and watermarks, the captured emails: .node-red-data/) and the build (dist/).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dirs = [path.join(root, '.node-red-data'), path.join(root, 'dist'), path.join(root, 'resources')];
for (const dir of dirs) {
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`removed ${path.relative(process.cwd(), dir) || dir}`);
}
