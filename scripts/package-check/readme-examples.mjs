// Writes every ```ts block of a README to its own file in `outDir`, so tsc checks the README's own
// code. A block holding several files marks each with a first-column `// name.ts` line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [readme, outDir] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const blocks = [...readFileSync(readme, 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
let count = 0;
blocks.forEach((block, b) => {
  let name = `block${b + 1}.ts`;
  let lines = [];
  const flush = () => {
    if (lines.some((l) => l.trim() !== '')) {
      // export {} keeps every file a module (its own scope), as the README shows them as files.
      writeFileSync(join(outDir, `readme${b + 1}-${name}`), `${lines.join('\n')}\nexport {};\n`);
      count++;
    }
    lines = [];
  };
  for (const line of block.split('\n')) {
    const file = /^\/\/ ([\w.-]+\.ts)\b/.exec(line);
    if (file) {
      flush();
      name = file[1];
    }
    lines.push(line);
  }
  flush();
});
if (count === 0) throw new Error(`no \`\`\`ts blocks in ${readme}`);
console.log(`readme: ${count} files from ${blocks.length} ts blocks`);
