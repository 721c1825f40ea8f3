-- A real editor as the language server's client: headless Neovim opens a topology,
-- starts `infra-lint server` for it as the README says, waits for the diagnostics,
-- prints them one a line, and exits 1 when none come.
-- Run: INFRA_LINT=path/to/infra-lint nvim --headless -u NONE -c "luafile .ci/nvim-diagnostics.lua" FILE
local bin = assert(os.getenv("INFRA_LINT"), "set INFRA_LINT to the binary")
local buf = vim.api.nvim_get_current_buf()
local file = vim.api.nvim_buf_get_name(buf)
local config = {
  name = "infra-lint",
  cmd = { bin, "server", "--today", "2026-11-24" },
  root_dir = vim.fn.fnamemodify(file, ":p:h"),
}
if vim.lsp.start then
  -- Neovim 0.8 and later: the README's configuration.
  vim.lsp.start(config)
else
  -- Neovim 0.7 (Debian 12): the same server through the older API.
  local id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(buf, id)
end
local function found()
  return #vim.diagnostic.get(buf) > 0
end
local ok = vim.wait(60000, found, 50)
local out = io.stdout
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  local message = d.message:gsub("\n.*", "")
  out:write(string.format("%s:%d:%d: [%s] %s (%s)\n", vim.fn.fnamemodify(file, ":t"),
    d.lnum + 1, d.col + 1, code, message, d.source or "?"))
end
if not ok then
  out:write("no diagnostics from infra-lint server within 60 s\n")
  vim.cmd("cquit 1")
end
vim.cmd("qall!")
