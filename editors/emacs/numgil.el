;;; numgil.el --- Eglot setup for the numgil language server  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "26.3") (eglot "1.9"))
;; Keywords: languages, tools, python
;; SPDX-License-Identifier: MIT OR Apache-2.0

;;; Commentary:

;; numgil finds numpy code that holds the GIL inside thread-pool tasks.  Its
;; language server (`numgil server', LSP over stdio) publishes diagnostics
;; (source "numgil", codes NG101...), quick fixes, `# noqa' suppressions,
;; `source.fixAll.numgil' and hover.
;;
;; Loading this file registers `numgil server' with Eglot for `python-mode'
;; and `python-ts-mode':
;;
;;   (add-to-list 'load-path "/path/to/numgil/editors/emacs")
;;   (require 'numgil)
;;   (add-hook 'python-mode-hook #'eglot-ensure)     ; optional
;;   (add-hook 'python-ts-mode-hook #'eglot-ensure)  ; optional
;;
;; Eglot runs one server per major mode and project, so this replaces
;; whatever Eglot would otherwise start for Python (pyright, pylsp...).
;; See README.md for alternatives.

;;; Code:

(defgroup numgil nil
  "The numgil language server (via Eglot)."
  :group 'tools
  :prefix "numgil-")

(defcustom numgil-server-command '("numgil" "server")
  "Command (program and arguments) that starts the numgil language server.
Takes effect when `numgil-eglot-setup' runs (at load time); call it again
after changing this."
  :type '(repeat string)
  :group 'numgil)

(defconst numgil-python-modes
  '((python-mode :language-id "python")
    (python-ts-mode :language-id "python"))
  "Major modes that numgil serves, in `eglot-server-programs' form.
The explicit language id keeps older Eglot versions from sending
\"python-ts\" for `python-ts-mode' buffers.")

;;;###autoload
(defun numgil-eglot-setup ()
  "Register numgil with Eglot for `python-mode' and `python-ts-mode'.
An existing numgil entry is replaced rather than duplicated."
  (interactive)
  (with-eval-after-load 'eglot
    (defvar eglot-server-programs)
    (setq eglot-server-programs
          (seq-remove (lambda (entry) (equal (car-safe entry) numgil-python-modes))
                      eglot-server-programs))
    ;; Equivalent to
    ;;   (add-to-list 'eglot-server-programs '(python-mode . ("numgil" "server")))
    ;;   (add-to-list 'eglot-server-programs '(python-ts-mode . ("numgil" "server")))
    ;; with the command taken from `numgil-server-command'.  Entries added
    ;; to the front win over Eglot's built-in Python entry.
    (add-to-list 'eglot-server-programs
                 (cons numgil-python-modes numgil-server-command))))

(require 'seq)
(numgil-eglot-setup)

(provide 'numgil)
;;; numgil.el ends here
