import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The desktop shell embeds dist/ (tauri.conf.json frontendDist); there is no dev server URL,
// so a plain `cargo build` of the shell always shows the built UI.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  test: { include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
