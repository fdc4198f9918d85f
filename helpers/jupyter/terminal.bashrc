# The workshop's JupyterLab terminal (helpers/lab.py starts bash with this file instead of ~/.bashrc).
# Your own ~/.bashrc first, then kubectl pointed at the workshop's cluster: the project's kubectl first on PATH,
# KUBECONFIG naming the workshop's context and namespace (`workshop lab` and binder/start set both).
[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"
if [ -n "$WORKSHOP_BIN" ]; then
  case ":$PATH:" in
    "$WORKSHOP_BIN:"*) ;;
    *) PATH="$WORKSHOP_BIN:$PATH" ;;
  esac
  export PATH
fi
[ -n "$WORKSHOP_KUBECONFIG" ] && export KUBECONFIG="$WORKSHOP_KUBECONFIG"
if command -v kubectl >/dev/null 2>&1 && [ -n "$KUBECONFIG" ]; then
  echo "kubectl: context $(kubectl config current-context 2>/dev/null)," \
       "namespace $(kubectl config view --minify -o 'jsonpath={..namespace}' 2>/dev/null)"
fi
