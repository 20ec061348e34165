-- numgil language server client for Neovim 0.7+.
--
--   require("numgil").setup({
--     cmd = { "numgil", "server" },
--     root_markers = { "pyproject.toml", "numgil.toml", ".git" },
--   })
--
-- Only APIs that exist in Neovim 0.7 are used: vim.lsp.start_client,
-- vim.lsp.buf_attach_client, nvim_create_augroup/nvim_create_autocmd and vim.loop.
-- (No vim.lsp.start, no vim.fs.)

local M = {}

local defaults = {
  -- Command that starts the language server (stdio).
  cmd = { "numgil", "server" },
  -- Files or directories that mark a project root; the nearest ancestor of the
  -- buffer's file containing any of them becomes the workspace root.
  root_markers = { "pyproject.toml", "numgil.toml", ".git" },
  -- Override root detection: a directory (string), or a function
  -- `function(fname, bufnr) -> string|nil`. nil/false: use root_markers.
  root_dir = nil,
  -- Filetypes that attach the client.
  filetypes = { "python" },
  -- Client name, as shown by :LspInfo-like tools and in the LSP log.
  name = "numgil",
  -- Passed through to vim.lsp.start_client when set.
  on_attach = nil,
  on_init = nil,
  on_exit = nil,
  capabilities = nil,
  handlers = nil,
  settings = nil,
  init_options = nil,
  cmd_env = nil,
  flags = nil,
}

M.config = vim.deepcopy(defaults)

-- root directory -> client id
local clients_by_root = {}
local warned_missing = false

local uv = vim.loop
local is_windows = uv.os_uname().sysname:find("Windows") ~= nil

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

local function join(dir, name)
  if dir:sub(-1) == "/" or (is_windows and dir:sub(-1) == "\\") then
    return dir .. name
  end
  return dir .. "/" .. name
end

-- Absolute path without a trailing separator (except for a filesystem root).
local function normalize_dir(dir)
  local abs = vim.fn.fnamemodify(dir, ":p")
  if #abs > 1 and (abs:sub(-1) == "/" or abs:sub(-1) == "\\") and not abs:match("^%a:[/\\]$") then
    abs = abs:sub(1, -2)
  end
  return abs
end

local function parent(dir)
  local p = vim.fn.fnamemodify(dir, ":h")
  return p
end

--- Nearest ancestor directory of `fname` (a file path) that contains one of
--- `markers`, or nil.
function M.find_root(fname, markers)
  markers = markers or M.config.root_markers
  local dir = normalize_dir(parent(vim.fn.fnamemodify(fname, ":p")))
  while dir and dir ~= "" do
    for _, marker in ipairs(markers) do
      if exists(join(dir, marker)) then
        return dir
      end
    end
    local up = parent(dir)
    if up == dir or up == "" or up == "." then
      break
    end
    dir = up
  end
  return nil
end

local function resolve_root(bufnr, fname)
  local cfg = M.config
  local root = cfg.root_dir
  if type(root) == "function" then
    root = root(fname, bufnr)
  end
  if type(root) == "string" and root ~= "" then
    return normalize_dir(root)
  end
  root = M.find_root(fname, cfg.root_markers)
  if root then
    return root
  end
  -- No marker: the file's own directory.
  return normalize_dir(parent(fname))
end

local function live_client(id)
  if not id then
    return nil
  end
  local client = vim.lsp.get_client_by_id(id)
  if client == nil or client.is_stopped() then
    return nil
  end
  return client
end

local function start_client(root)
  local cfg = M.config
  local cmd = cfg.cmd
  if type(cmd) == "string" then
    cmd = { cmd }
  end
  if vim.fn.executable(cmd[1]) ~= 1 then
    if not warned_missing then
      warned_missing = true
      vim.notify(
        string.format("numgil: `%s` is not executable; set `cmd` in require('numgil').setup()", cmd[1]),
        vim.log.levels.WARN
      )
    end
    return nil
  end
  local user_on_exit = cfg.on_exit
  local id
  id = vim.lsp.start_client({
    name = cfg.name,
    cmd = cmd,
    cmd_cwd = root,
    cmd_env = cfg.cmd_env,
    root_dir = root,
    workspace_folders = {
      { uri = vim.uri_from_fname(root), name = root },
    },
    capabilities = cfg.capabilities or vim.lsp.protocol.make_client_capabilities(),
    handlers = cfg.handlers,
    settings = cfg.settings,
    init_options = cfg.init_options,
    flags = cfg.flags,
    on_init = cfg.on_init,
    on_attach = cfg.on_attach,
    on_exit = function(code, signal, client_id)
      if clients_by_root[root] == client_id then
        clients_by_root[root] = nil
      end
      if user_on_exit then
        user_on_exit(code, signal, client_id)
      end
    end,
  })
  if id then
    clients_by_root[root] = id
  end
  return id
end

--- Start (or reuse) the numgil client for the buffer's project and attach it.
--- Returns the client id, or nil when the buffer is not a file or the server
--- could not be started.
function M.attach(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return nil
  end
  if vim.api.nvim_buf_get_option(bufnr, "buftype") ~= "" then
    return nil
  end
  local fname = vim.api.nvim_buf_get_name(bufnr)
  if fname == "" or fname:match("^%a[%w+.-]*://") then
    -- Unnamed buffers and non-file URIs (fugitive://, ...) are not linted.
    return nil
  end
  local root = resolve_root(bufnr, fname)
  local client = live_client(clients_by_root[root])
  local id = client and client.id or start_client(root)
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- Client ids started by this plugin, keyed by root directory.
function M.clients()
  local out = {}
  for root, id in pairs(clients_by_root) do
    if live_client(id) then
      out[root] = id
    end
  end
  return out
end

--- Stop every client started by this plugin.
function M.stop(force)
  for root, id in pairs(clients_by_root) do
    local client = vim.lsp.get_client_by_id(id)
    if client then
      client.stop(force)
    end
    clients_by_root[root] = nil
  end
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  -- Lists replace the defaults rather than merging index by index.
  if opts and opts.cmd then
    M.config.cmd = opts.cmd
  end
  if opts and opts.root_markers then
    M.config.root_markers = opts.root_markers
  end
  if opts and opts.filetypes then
    M.config.filetypes = opts.filetypes
  end

  local group = vim.api.nvim_create_augroup("numgil", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
    desc = "numgil: start/attach the language server",
  })

  -- Buffers already open when setup() runs (e.g. lazy-loaded plugin).
  local wanted = {}
  for _, ft in ipairs(M.config.filetypes) do
    wanted[ft] = true
  end
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and wanted[vim.api.nvim_buf_get_option(bufnr, "filetype")] then
      M.attach(bufnr)
    end
  end
end

return M
