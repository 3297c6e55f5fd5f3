import * as path from 'node:path';
import {
  Role as ProtoRole,
  type User as ProtoUser,
  type UserServiceServer,
  UserServiceService,
} from '../../../lib/contracts/gen/shopfront/user/v1/user';
import { UnauthenticatedError } from '../../../lib/runtime/errors';
import { bindService, type GrpcServiceBinding } from '../../../lib/runtime/grpc-server';
import type { UserAccounts } from '../domain/accounts';
import type { Role, User } from '../domain/user';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const PROTO_ROOT = path.join(REPO_ROOT, 'lib', 'contracts', 'proto');

/** For server reflection. */
export const USER_PROTO = {
  files: [path.join(PROTO_ROOT, 'shopfront', 'user', 'v1', 'user.proto')],
  includeDirs: [PROTO_ROOT],
};

const PROTO_ROLES: Record<Role, ProtoRole> = {
  customer: ProtoRole.ROLE_CUSTOMER,
  admin: ProtoRole.ROLE_ADMIN,
};

export const toProtoUser = (user: User): ProtoUser => ({
  id: user.id,
  email: user.email,
  name: user.name,
  role: PROTO_ROLES[user.role],
  createdAt: user.createdAt.toISOString(),
});

/**
 * shopfront.user.v1.UserService over the domain. Domain errors travel as status codes with the field in
 * trailing metadata (the kit maps them). Logs carry ids and outcomes only: never emails, passwords or tokens.
 */
export function userServiceBinding(accounts: UserAccounts): GrpcServiceBinding {
  return bindService<UserServiceServer>(UserServiceService, {
    register: async (request, ctx) => {
      const user = await accounts.register(request);
      ctx.log.info({ userId: user.id, role: user.role }, 'account registered');
      return { user: toProtoUser(user) };
    },
    authenticate: async (request, ctx) => {
      try {
        const session = await accounts.authenticate(request.email, request.password);
        ctx.log.info({ userId: session.user.id }, 'authenticated');
        return {
          accessToken: session.accessToken,
          expiresInSeconds: session.expiresInSeconds,
          user: toProtoUser(session.user),
        };
      } catch (error) {
        if (error instanceof UnauthenticatedError) ctx.log.info({ outcome: 'rejected' }, 'authentication failed');
        throw error;
      }
    },
    getUser: async (request) => {
      const user = await accounts.getUser(request.id);
      return { user: toProtoUser(user) };
    },
  });
}
