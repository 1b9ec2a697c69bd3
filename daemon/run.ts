// The script a client spawns (node dist/daemon/run.js); its path is how /proc tells a codehive daemon apart.
import { runDaemon } from './main.js';

void runDaemon();
