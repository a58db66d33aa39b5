import { BINARIES } from './cluster';
import { goBinary } from './go-binaries';
(async () => {
  for (const b of [BINARIES.server, BINARIES.sqlTool, BINARIES.ui]) console.log(await goBinary(b, console.log));
})().catch((e) => { console.error(e); process.exit(1); });
