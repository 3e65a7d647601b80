export { ociLayoutTar, writeOciLayoutDir, layoutIndex, OCI_LAYOUT_FILE, type LayoutOptions } from './layout.js';
