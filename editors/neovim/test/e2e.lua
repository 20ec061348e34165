-- End-to-end check of the numgil Neovim plugin against a real `numgil server`.
--
--   NUMGIL_BIN=/path/to/numgil NUMGIL_FILE=fixtures/demo/pipeline/stats.py \
--   NUMGIL_ROOT=fixtures/demo NUMGIL_OUT=/tmp/out.json \
--     nvim --headless --clean -u NONE -i NONE -n -c "luafile editors/neovim/test/e2e.lua"
--
-- Environment:
--   NUMGIL_BIN              numgil executable (required)
--   NUMGIL_FILE             Python file to open (required)
--   NUMGIL_OUT              where to write the JSON result (required)
--   NUMGIL_ROOT             workspace root; default: root_markers lookup
--   NUMGIL_TIMEOUT_MS       how long to wait for diagnostics (default 10000)
--   NUMGIL_MIN_DIAGNOSTICS  wait until at least this many numgil diagnostics (default 1)
--   NUMGIL_LSP_LOG_LEVEL    vim.lsp log level (default "warn"); the log path is in the JSON
--
-- The result JSON holds the buffer's diagnostics as Neovim sees them (0-based lnum/col),
-- the raw publishDiagnostics notifications, the server's capabilities, a hover and the code
-- actions at the first diagnostic, and how the server exited after shutdown. Neovim exits
-- 0 when the script ran to the end (whatever the server did), 1 when the script failed.

local uv = vim.loop
local result = { ok = false }

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    return default
  end
  return v
end

local function now_ms()
  return uv.hrtime() / 1e6
end

local function write_result(path)
  local ok, encoded = pcall(vim.fn.json_encode, result)
  if not ok then
    encoded = vim.fn.json_encode({ ok = false, error = "json_encode failed: " .. tostring(encoded) })
  end
  vim.fn.writefile({ encoded }, path)
end

local function plugin_root()
  local source = debug.getinfo(1, "S").source
  if source:sub(1, 1) == "@" then
    source = source:sub(2)
  end
  -- editors/neovim/test/e2e.lua -> editors/neovim
  return vim.fn.fnamemodify(source, ":p:h:h")
end

local function simplify_diagnostic(d)
  local code = d.code
  if code == nil and d.user_data and d.user_data.lsp then
    code = d.user_data.lsp.code
  end
  return {
    lnum = d.lnum,
    col = d.col,
    end_lnum = d.end_lnum,
    end_col = d.end_col,
    severity = d.severity,
    source = d.source,
    code = code,
    message = d.message,
  }
end

-- A request_sync answer as JSON-able data: the result (null when none), {error=...}, or
-- the string "timeout".
local function response(r)
  if r == nil then
    return "timeout"
  end
  if r.err then
    return { error = r.err }
  end
  if r.result == nil then
    return vim.NIL
  end
  return r.result
end

local function main()
  local bin = assert(env("NUMGIL_BIN"), "NUMGIL_BIN is not set")
  local file = assert(env("NUMGIL_FILE"), "NUMGIL_FILE is not set")
  local root = env("NUMGIL_ROOT")
  local timeout = tonumber(env("NUMGIL_TIMEOUT_MS", "10000"))
  local min_diags = tonumber(env("NUMGIL_MIN_DIAGNOSTICS", "1"))

  local v = vim.version()
  result.nvim_version = string.format("%d.%d.%d", v.major, v.minor, v.patch)
  result.bin = bin
  result.file = vim.fn.fnamemodify(file, ":p")
  vim.lsp.set_log_level(env("NUMGIL_LSP_LOG_LEVEL", "warn"))
  result.lsp_log = vim.lsp.get_log_path()

  -- Load the plugin from this checkout.
  local rt = plugin_root()
  vim.opt.runtimepath:prepend(rt)
  package.path = rt .. "/lua/?.lua;" .. rt .. "/lua/?/init.lua;" .. package.path

  -- Record every publishDiagnostics notification as it arrives.
  result.published = {}
  local last_publish = nil
  local orig = vim.lsp.handlers["textDocument/publishDiagnostics"]
  vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, res, ctx, config)
    if res then
      table.insert(result.published, {
        uri = res.uri,
        version = res.version,
        diagnostics = res.diagnostics,
        at_ms = math.floor(now_ms()),
      })
    end
    last_publish = now_ms()
    return orig(err, res, ctx, config)
  end

  local exit_info = nil
  require("numgil").setup({
    cmd = { bin, "server" },
    root_dir = root,
    on_exit = function(code, signal)
      exit_info = { code = code, signal = signal }
    end,
  })

  -- -u NONE leaves filetype detection off; the plugin attaches on FileType python.
  vim.cmd("filetype on")
  local started = now_ms()
  vim.cmd("edit " .. vim.fn.fnameescape(result.file))
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype

  -- vim.lsp.buf_get_clients() lists only initialized clients on 0.7; ask the plugin.
  local client = nil
  for _, id in pairs(require("numgil").clients()) do
    local c = vim.lsp.get_client_by_id(id)
    if c and c.attached_buffers and c.attached_buffers[bufnr] ~= nil or vim.lsp.buf_is_attached(bufnr, id) then
      client = c
    end
  end
  if client == nil then
    error("the numgil client did not attach to " .. result.file .. " (filetype=" .. result.filetype .. ")")
  end
  result.client = { id = client.id, name = client.name, root_dir = client.config.root_dir }

  local function numgil_diagnostics()
    local out = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.source == "numgil" then
        table.insert(out, d)
      end
    end
    return out
  end

  -- Wait for enough numgil diagnostics, then for the stream to settle (a server may
  -- publish a partial set first and the cross-file one after indexing).
  local settled = vim.wait(timeout, function()
    return #numgil_diagnostics() >= min_diags and last_publish ~= nil and now_ms() - last_publish > 500
  end, 50)
  result.waited_ms = math.floor(now_ms() - started)
  result.timed_out = not settled
  result.initialized = client.initialized and true or false
  if client.server_capabilities then
    result.server_capabilities = client.server_capabilities
  end

  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, simplify_diagnostic(d))
  end

  -- Hover and code actions at the first numgil diagnostic, for the record.
  local first = numgil_diagnostics()[1]
  if first and client.initialized then
    local pos = { line = first.lnum, character = first.col } -- ASCII fixture: bytes == UTF-16
    local uri = vim.uri_from_bufnr(bufnr)
    local hover = client.request_sync("textDocument/hover", {
      textDocument = { uri = uri },
      position = pos,
    }, 5000, bufnr)
    result.hover = response(hover)
    -- The diagnostic as the server sent it (Neovim 0.7 keeps only part of it in user_data).
    local lsp_diag = nil
    for i = #result.published, 1, -1 do
      local p = result.published[i]
      if p.uri == uri then
        for _, d in ipairs(p.diagnostics) do
          if lsp_diag == nil and d.range.start.line == first.lnum then
            lsp_diag = d
          end
        end
        break
      end
    end
    local actions = client.request_sync("textDocument/codeAction", {
      textDocument = { uri = uri },
      range = lsp_diag and lsp_diag.range or { start = pos, ["end"] = { line = first.end_lnum, character = first.end_col } },
      context = { diagnostics = lsp_diag and { lsp_diag } or {} },
    }, 5000, bufnr)
    result.code_actions = response(actions)
  end

  -- Shut the server down the way Neovim does on exit, and see that it goes.
  client.stop()
  result.exited = vim.wait(5000, function()
    return exit_info ~= nil
  end, 50)
  result.exit = exit_info
  result.ok = true
end

local out = os.getenv("NUMGIL_OUT")
local ok, err = xpcall(main, debug.traceback)
if not ok then
  result.ok = false
  result.error = tostring(err)
  io.stderr:write("e2e.lua: " .. tostring(err) .. "\n")
end
if out and out ~= "" then
  write_result(out)
else
  io.stderr:write("e2e.lua: NUMGIL_OUT is not set\n")
  ok = false
end
if ok then
  vim.cmd("qa!")
else
  vim.cmd("cquit")
end
