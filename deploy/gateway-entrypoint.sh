#!/bin/sh
# The gateway's entrypoint: writes each template (/etc/nginx/templates/*.template) out with the
# environment's ${GATEWAY_AUTH_RATE}, then runs its command (nginx). The official nginx
# image's entrypoint does this with envsubst; doing it here works on any nginx image (this
# machine's stand-ins have no envsubst) and on a read-only root (NGINX_ENVSUBST_OUTPUT_DIR,
# e.g. /tmp on Kubernetes). Only that one name is replaced: nginx's own $variables stay.
set -eu
templates=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
rate=${GATEWAY_AUTH_RATE:-10}
case $rate in
    '' | *[!0-9]* | 0)
        echo "GATEWAY_AUTH_RATE must be a whole number of requests a second, not '$rate'" >&2
        exit 1
        ;;
esac
for template in "$templates"/*.template; do
    [ -e "$template" ] || continue
    sed "s/\${GATEWAY_AUTH_RATE}/$rate/g" "$template" >"$out/$(basename "$template" .template)"
done
exec "$@"
