"""JupyterHub configuration of the course hub (started by `python3 kit.py hub`; hub/hubctl.py).

Everything that differs per deployment (addresses, ports, paths, the roster's groups, database
URLs) is in the settings file that hubctl.py writes: <state>/hub/settings.json (root only, it
holds the database passwords and service tokens), named by the CNHUB_SETTINGS variable.
"""

import json
import os

c = get_config()  # noqa: F821
s = json.loads(open(os.environ["CNHUB_SETTINGS"], encoding="utf-8").read())
course = s["course_id"]

# --- hub, proxy, database -----------------------------------------------------------------
c.JupyterHub.bind_url = "http://%s:%d" % (s["ip"], s["port"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s["hub_port"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % s["proxy_api_port"]
c.ConfigurableHTTPProxy.command = [s["proxy_command"]]
c.ConfigurableHTTPProxy.auth_token = s["proxy_token"]
c.JupyterHub.db_url = s["hub_db_url"]
c.JupyterHub.cookie_secret_file = os.path.join(s["hub_dir"], "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(s["hub_dir"], "jupyterhub.pid")
# a restarted hub finds the trainees' servers still running (hubctl stops them on Ctrl+C)
c.JupyterHub.cleanup_servers = False
c.JupyterHub.cleanup_proxy = False

# --- who logs in: the roster's system users, with their passwords (PAM) -------------------
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(s["allowed_users"])
c.PAMAuthenticator.open_sessions = False
c.JupyterHub.load_groups = {name: {"users": users} for name, users in s["groups"].items()}

# --- each trainee's server: the kit's Japanese JupyterLab, as the trainee's own user -------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [s["singleuser"]]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/notebooks/index.ipynb"
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": s["trainee_config"],
    "PATH": s["path"],
    "LD_LIBRARY_PATH": s["ld_library_path"],
    "LANG": "C.UTF-8",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# nbgrader's JupyterHub plugin asks the hub which course groups the user is in
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server",
                                 "read:users:groups!user", "read:users:name!user"]
# LocalProcessSpawner cannot enforce mem_limit / cpu_limit (see the instructor guide, hub chapter)

# --- services: the formgrader for the instructors, the idle culler, the kit's controller ----
c.JupyterHub.services = [
    {
        "name": course,
        "url": "http://127.0.0.1:%d" % s["formgrader_port"],
        "command": [s["singleuser"], "--ServerApp.root_dir=" + s["course_dir"]],
        "user": s["grader_user"],
        "cwd": s["course_dir"],
        "api_token": s["formgrader_token"],
        "environment": {
            "JUPYTERHUB_DEFAULT_URL": "/formgrader",
            "JUPYTER_CONFIG_PATH": s["formgrader_config"],
            "PATH": s["path"],
            "LD_LIBRARY_PATH": s["ld_library_path"],
            "HOME": s["course_dir"],
            "LANG": "C.UTF-8",
        },
        "oauth_no_confirm": True,
    },
    {
        "name": "idle-culler",
        "command": [s["python"], "-m", "jupyterhub_idle_culler",
                    "--timeout=%d" % s["cull_timeout"]],
    },
    {"name": "hubctl", "api_token": s["admin_token"]},
]
c.JupyterHub.load_roles = [
    {"name": "formgrader-" + course, "groups": ["formgrade-" + course],
     "scopes": ["access:services!service=" + course]},
    {"name": "grader-" + course, "services": [course],
     "scopes": ["read:users:groups", "list:users", "read:users", "groups"]},
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
    {"name": "hubctl", "services": ["hubctl"], "scopes": ["admin:users", "admin:servers",
                                                          "admin:groups", "tokens", "list:users",
                                                          "read:users", "access:servers",
                                                          "access:services"]},
]
